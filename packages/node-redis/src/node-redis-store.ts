import type { CacheStore } from '@cacheguard/core'
import { describeValue } from '@cacheguard/core'
import { nodeRedisFencing, type ScriptClient } from './internal/fencing.js'

/** Options of `nodeRedisStore`. */
export interface NodeRedisStoreOptions {
  /** Prepended to every key, such as `'app:'`; the rest of your key layout stays yours. @default '' */
  prefix?: string
}

/**
 * What the store needs of a node-redis (5 or later) client from `createClient()` or cluster from
 * `createCluster()`, whatever its modules, scripts, RESP version or type mapping: node-redis's own
 * types differ for each of those, so the store takes them by this shape.
 */
export interface NodeRedisClient {
  get(key: string): Promise<unknown>
  mGet(keys: string[]): Promise<unknown>
  set(
    key: string,
    value: string,
    options: { expiration: { type: 'PX'; value: number } },
  ): Promise<unknown>
  del(key: string): Promise<unknown>
  pTTL(key: string): Promise<unknown>
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  withTypeMapping(typeMapping: Record<never, never>): unknown
  listenerCount(event: 'error'): number
  /** Whether commands go out now; a node-redis 5 cluster has no such flag. */
  readonly isReady?: boolean
}

/** The commands as node-redis answers them with its default type mapping, RESP2 or RESP3. */
interface Commands extends ScriptClient {
  get(key: string): Promise<string | null>
  mGet(keys: string[]): Promise<Array<string | null>>
  set(
    key: string,
    value: string,
    options: { expiration: { type: 'PX'; value: number } },
  ): Promise<unknown>
  del(key: string): Promise<number>
  pTTL(key: string): Promise<number>
}

const DEFAULTS = { prefix: '' } as const satisfies NodeRedisStoreOptions

/**
 * A store over the user's existing node-redis client (`createClient()`) or cluster
 * (`createCluster()`), node-redis 5 or later. It never connects, configures or closes the
 * connection: the client stays yours. TTLs are written in milliseconds (`PX`).
 *
 * The client must have an `'error'` listener: without one, node-redis throws its first connection
 * error and the process exits, where the cache would have fallen back to the loader.
 *
 * @param client - your connected client or cluster
 * @param options - `prefix` for every key
 * @example
 * const redis = await createClient({ url: process.env.REDIS_URL })
 *   .on('error', (error) => log.warn(error))
 *   .connect()
 * const cache = createCache({ store: nodeRedisStore(redis, { prefix: 'app:' }) })
 */
export function nodeRedisStore(
  client: NodeRedisClient,
  options: NodeRedisStoreOptions = {},
): CacheStore {
  assertClient(client)
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `Expected \`options\` to be an object such as { prefix: 'app:' }, got ${describeValue(options)}`,
    )
  }
  const o = { ...DEFAULTS, ...options }
  const prefix = o.prefix ?? DEFAULTS.prefix
  if (typeof prefix !== 'string') {
    throw new TypeError(`Expected \`prefix\` to be a string, got ${describeValue(prefix)}`)
  }
  // A cluster routes each command to its slot's master itself (following MOVED and ASK).
  const isCluster = typeof (client as { nodeClient?: unknown }).nodeClient === 'function'
  // The user's client may map replies to Buffers or Maps; the store reads strings and numbers.
  // `withTypeMapping` returns a view of the same connection, with only that option changed.
  const c = client.withTypeMapping({}) as Commands
  const k = prefix === '' ? (key: string) => key : (key: string) => prefix + key
  const fencing = nodeRedisFencing(c, prefix, isCluster, clientKeyPrefix(client))
  // node-redis's own flag, false while it connects or reconnects (its commands would wait in the
  // offline queue). A node-redis 5 cluster has none: its store cannot tell, and leaves `ready` out.
  const readiness =
    typeof client.isReady === 'boolean' ? { ready: () => client.isReady === true } : {}

  return {
    name: isCluster ? 'node-redis-cluster' : 'node-redis',
    ...readiness,

    // Returned as is (null when absent): an extra async layer here would cost every cache hit.
    get: (key) => c.get(k(key)),

    async getMany(keys) {
      if (keys.length === 0) return []
      if (!isCluster) return c.mGet(keys.map(k))
      // MGET across hash slots fails with CROSSSLOT on a Cluster (node-redis 5 sends it to the
      // first key's node), and one MGET per slot is one command per key for scattered keys. Plain
      // GETs instead: node-redis sends the commands of one tick to each node in one write (its
      // auto-pipelining), so this is one pipeline per node, and each GET follows MOVED on its own.
      return Promise.all(keys.map((key) => c.get(k(key))))
    },

    async set(key, value, ttlMs) {
      await c.set(k(key), value, { expiration: { type: 'PX', value: ttlMs } })
    },

    async setMany(entries) {
      // One write per node (per connection on a single Redis) by auto-pipelining, as above; a
      // MULTI would have to stay in one slot on a Cluster and buys no atomicity the cache needs.
      await Promise.all(
        entries.map(({ key, value, ttlMs }) =>
          c.set(k(key), value, { expiration: { type: 'PX', value: ttlMs } }),
        ),
      )
    },

    async delete(key) {
      return (await c.del(k(key))) > 0
    },

    async ttl(key) {
      const ms = await c.pTTL(k(key))
      // -2: no such key; -1: a key without expiry (not written by cacheguard).
      if (ms === -2) return undefined
      return ms === -1 ? Number.POSITIVE_INFINITY : ms
    },

    nextFence: (key) => fencing.nextFence(k(key)),
    setFenced: (key, value, ttlMs, fence) => fencing.setFenced(k(key), value, ttlMs, fence),
  }
}

function assertClient(client: NodeRedisClient): void {
  const candidate = client as Partial<Record<keyof NodeRedisClient | 'defineCommand', unknown>>
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof candidate.get !== 'function' ||
    typeof candidate.evalSha !== 'function' ||
    typeof candidate.withTypeMapping !== 'function' ||
    typeof candidate.listenerCount !== 'function'
  ) {
    const hint =
      typeof candidate?.defineCommand === 'function'
        ? ': this looks like an ioredis client, which redisStore from @cacheguard/redis takes'
        : ''
    throw new TypeError(
      `Expected \`client\` to be a node-redis client (createClient) or cluster (createCluster), version 5 or later, got ${describeValue(client)}${hint}`,
    )
  }
  if (client.listenerCount('error') === 0) {
    throw new TypeError(
      "Expected `client` to have an 'error' listener, got none: without one, node-redis throws its first connection error and the process exits. Add one before creating the store: client.on('error', (error) => ...)",
    )
  }
}

/** The `keyPrefix` node-redis 6 adds to every key it sends, if the user configured one. */
function clientKeyPrefix(client: NodeRedisClient): string {
  const keyPrefix = (client as { _keyPrefix?: unknown })._keyPrefix
  if (typeof keyPrefix === 'string') return keyPrefix
  return Buffer.isBuffer(keyPrefix) ? keyPrefix.toString('utf8') : ''
}
