import type { CacheStore } from '@cacheguard/core'
import calculateSlot from 'cluster-key-slot'
import type { Cluster, Redis } from 'ioredis'
import { redisFencing } from './internal/fencing.js'

/** Options of `redisStore`. */
export interface RedisStoreOptions {
  /** Prepended to every key, such as `'app:'`; the rest of your key layout stays yours. @default '' */
  prefix?: string
}

/**
 * A store over the user's existing ioredis `Redis` or `Cluster`. It never opens, configures or
 * closes the connection: the client stays yours. TTLs are written in milliseconds (`PX`).
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL)
 * const cache = createCache({ store: redisStore(redis, { prefix: 'app:' }) })
 */
export function redisStore(client: Redis | Cluster, options: RedisStoreOptions = {}): CacheStore {
  if (typeof client !== 'object' || client === null || typeof client.get !== 'function') {
    throw new TypeError('Expected `client` to be an ioredis Redis or Cluster instance')
  }
  const prefix = options.prefix ?? ''
  if (typeof prefix !== 'string') {
    throw new TypeError(
      `Expected \`prefix\` to be a string, got \`${String(prefix)}\` (${typeof prefix})`,
    )
  }
  const isCluster = (client as { isCluster?: boolean }).isCluster === true
  const k = prefix === '' ? (key: string) => key : (key: string) => prefix + key
  const fencing = redisFencing(client, prefix, isCluster)

  return {
    name: isCluster ? 'redis-cluster' : 'redis',

    // 'ready' once connected (and, with ioredis's default `enableReadyCheck`, done loading its
    // data); 'connecting', 'reconnecting' and the rest mean a command would only be queued.
    ready: () => client.status === 'ready',

    // Returned as is (null when absent): an extra async layer here would cost every cache hit.
    get: (key) => client.get(k(key)),

    async getMany(keys) {
      if (keys.length === 0) return []
      if (!isCluster) return toAnswers(await client.mget(keys.map(k)))
      // MGET across hash slots fails with CROSSSLOT on a Cluster, and one MGET per slot is one
      // command per key for scattered keys: one pipeline of GETs per node instead.
      const answers = new Array<string | undefined>(keys.length)
      await Promise.all(
        groupByNode(client as Cluster, keys.map(k)).map(async ({ keys: nodeKeys, indexes }) => {
          const pipeline = client.pipeline()
          for (const key of nodeKeys) pipeline.get(key)
          const results = await execOrThrow(pipeline)
          indexes.forEach((index, i) => {
            answers[index] = (results[i] as string | null) ?? undefined
          })
        }),
      )
      return answers
    },

    async set(key, value, ttlMs) {
      await client.set(k(key), value, 'PX', ttlMs)
    },

    async setMany(entries) {
      if (entries.length === 0) return
      // A Cluster pipeline must stay on one node, so writes are pipelined per node.
      const batches = isCluster
        ? groupByNode(
            client as Cluster,
            entries.map((e) => k(e.key)),
          ).map((g) => g.indexes.map((i) => entries[i]!))
        : [entries]
      await Promise.all(
        batches.map(async (batch) => {
          const pipeline = client.pipeline()
          for (const entry of batch) pipeline.set(k(entry.key), entry.value, 'PX', entry.ttlMs)
          await execOrThrow(pipeline)
        }),
      )
    },

    async delete(key) {
      return (await client.del(k(key))) > 0
    },

    async ttl(key) {
      const ms = await client.pttl(k(key))
      // -2: no such key; -1: a key without expiry (not written by cacheguard).
      if (ms === -2) return undefined
      return ms === -1 ? Number.POSITIVE_INFINITY : ms
    },

    nextFence: (key) => fencing.nextFence(k(key)),
    setFenced: (key, value, ttlMs, fence) => fencing.setFenced(k(key), value, ttlMs, fence),
  }
}

function toAnswers(values: Array<string | null>): Array<string | undefined> {
  return values.map((value) => value ?? undefined)
}

/** Runs a pipeline; resolves each command's reply, or throws the first command error. */
async function execOrThrow(pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? []
  const failed = results.find(([error]) => error)
  if (failed) throw failed[0]
  return results.map(([, reply]) => reply)
}

/**
 * Groups keys by the nodes that serve their hash slot, as ioredis requires of a Cluster pipeline.
 * Before the client knows the slot map, keys are grouped by slot, which is always safe.
 */
function groupByNode(
  cluster: Cluster,
  keys: string[],
): Array<{ keys: string[]; indexes: number[] }> {
  const groups = new Map<string, { keys: string[]; indexes: number[] }>()
  keys.forEach((key, index) => {
    const slot = calculateSlot(key)
    const nodes = cluster.slots[slot]
    const id = nodes && nodes.length > 0 ? nodes.join(',') : `slot:${slot}`
    let group = groups.get(id)
    if (!group) {
      group = { keys: [], indexes: [] }
      groups.set(id, group)
    }
    group.keys.push(key)
    group.indexes.push(index)
  })
  return [...groups.values()]
}
