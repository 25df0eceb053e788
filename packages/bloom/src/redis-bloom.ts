import { randomUUID } from 'node:crypto'
import {
  BloomConfigMismatchError,
  type Duration,
  parseDuration,
  StoreError,
  StoreTimeoutError,
} from '@cacheguard/core'
import type { Cluster, Redis } from 'ioredis'
import type { Bloom, BloomInfo, MemberSource, RebuildOptions } from './bloom.js'
import { batches } from './internal/batches.js'
import { capacityWatch } from './internal/capacity.js'
import { HASH_VERSION, positions } from './internal/hash.js'
import { ADD, CHECK, SWAP } from './internal/scripts.js'
import { type BloomSize, bloomSize, estimatedFalsePositiveRate } from './internal/sizing.js'

/** Options of `redisBloom`. */
export interface RedisBloomOptions {
  /** The filter's name, shared by every process that opens it, such as `'users'`. Required. */
  key: string
  /** How many members the filter is sized for. Required. */
  capacity: number
  /** The false-positive rate at `capacity` members, between 0 and 1. @default 0.01 */
  errorRate?: number
  /** Prepended to the filter's Redis keys. @default 'cacheguard:bloom:' */
  prefix?: string
  /** The longest one filter operation may take before it fails (and the guard lets the request through). @default '500ms' */
  timeout?: Duration
}

/** A filter shared in Redis: every operation is one round trip. */
export interface RedisBloom extends Bloom {
  readonly local: false
  has(member: string): Promise<boolean>
  /** Checks many members in one round trip. */
  hasMany(members: readonly string[]): Promise<boolean[]>
  add(members: string | readonly string[]): Promise<void>
  info(): Promise<BloomInfo>
  /** Whether the filter has been created (by `rebuild` or `seedBloom`). */
  exists(): Promise<boolean>
  rebuild(source: MemberSource, options?: RebuildOptions): Promise<number>
}

interface BloomCommands {
  cacheguardBloomCheck(
    bits: string,
    meta: string,
    ...args: Array<string | number>
  ): Promise<unknown>
  cacheguardBloomAdd(bits: string, meta: string, ...args: Array<string | number>): Promise<unknown>
  cacheguardBloomSwap(...keys: string[]): Promise<unknown>
}

/**
 * A Bloom filter shared by every process, in Redis, on the user's ioredis `Redis` or `Cluster`:
 * a bit array read and written by Lua scripts (`GETBIT`/`SETBIT`), one round trip per check and
 * per add, with its parameters stored beside it. Its keys share one hash tag, so on a Cluster
 * they live in one slot. It must be created by `rebuild` (or `seedBloom`) before it blocks
 * anything: a filter that does not exist, or was lost with a Redis restart, makes `has` fail
 * and the guard let every request through.
 *
 * @example
 * const filter = redisBloom(redis, { key: 'users', capacity: 1_000_000, errorRate: 0.01 })
 * await seedBloom(filter, db.streamUserIds())
 * const cache = createCache({ store: redisStore(redis), guards: [bloomGuard({ filter })] })
 */
export function redisBloom(client: Redis | Cluster, options: RedisBloomOptions): RedisBloom {
  if (typeof client?.defineCommand !== 'function') {
    throw new TypeError('Expected `client` to be an ioredis Redis or Cluster instance')
  }
  if (typeof options?.key !== 'string' || options.key === '') {
    throw new TypeError(
      `Expected \`key\` to be a non-empty string, got \`${String(options?.key)}\``,
    )
  }
  const size = bloomSize(options.capacity, options.errorRate ?? 0.01)
  const timeoutMs = parseDuration(options.timeout ?? 500)
  if (timeoutMs === undefined || timeoutMs <= 0) {
    throw new TypeError(
      `Expected \`timeout\` to be a positive duration, got \`${String(options.timeout)}\``,
    )
  }
  const base = `${options.prefix ?? 'cacheguard:bloom:'}{${options.key}}`
  const bitsKey = base
  const metaKey = `${base}:meta`
  const signature = `v${HASH_VERSION}:${size.capacity}:${size.errorRate}:${size.bits}:${size.hashes}`
  const redis = registerScripts(client)
  const watch = capacityWatch(size.capacity)

  const call = <T>(operation: string, pending: Promise<T>): Promise<T> =>
    bounded(pending, timeoutMs, operation, options.key)

  /** Turns a script reply into its result, or the error it stands for. */
  const settle = <T>(reply: unknown): T => {
    if (reply === -1) {
      throw new StoreError(
        'read',
        options.key,
        new Error(
          `the Bloom filter \`${options.key}\` does not exist: seed it with seedBloom() or rebuild()`,
        ),
      )
    }
    if (typeof reply === 'string')
      throw new BloomConfigMismatchError(options.key, describe(signature), describe(reply))
    return reply as T
  }

  const addTo = async (bits: string, meta: string, members: readonly string[]): Promise<number> => {
    const args: Array<string | number> = [signature, members.length]
    for (const member of members) args.push(...positions(member, size.bits, size.hashes))
    return settle<number>(await call('add to', redis.cacheguardBloomAdd(bits, meta, ...args)))
  }

  const filter: RedisBloom = {
    kind: 'redis',
    local: false,
    capacity: size.capacity,
    errorRate: size.errorRate,
    async has(member) {
      const [present] = await filter.hasMany([member])
      return present!
    },
    async hasMany(members) {
      if (members.length === 0) return []
      const args: Array<string | number> = [signature, size.hashes]
      for (const member of members) args.push(...positions(member, size.bits, size.hashes))
      const reply = settle<number[]>(
        await call('check', redis.cacheguardBloomCheck(bitsKey, metaKey, ...args)),
      )
      return reply.map((bit) => bit === 1)
    },
    async add(members) {
      const list = typeof members === 'string' ? [members] : members
      if (list.length === 0) return
      const added = await addTo(bitsKey, metaKey, list)
      watch.reset(added - list.length)
      watch.count(list.length)
    },
    async info() {
      const [setBits, added] = await call(
        'read',
        Promise.all([client.bitcount(bitsKey), client.hget(metaKey, 'added')]),
      )
      return {
        ...size,
        added: Number(added ?? 0),
        fillRatio: setBits / size.bits,
        estimatedFalsePositiveRate: estimatedFalsePositiveRate(size, setBits),
      }
    },
    async exists() {
      return (await call('read', client.exists(metaKey))) === 1
    },
    async rebuild(source, rebuildOptions = {}) {
      const batchSize = rebuildOptions.batchSize ?? 1000
      // A build of its own beside the live filter: concurrent rebuilds never mix their bits.
      const id = randomUUID()
      const nextBits = `${base}:next:${id}`
      const nextMeta = `${base}:next:${id}:meta`
      let added = 0
      try {
        await call('create', client.hset(nextMeta, metaFields(size, signature)))
        // If this process dies mid-build, the half-built filter goes away by itself.
        await call('create', client.pexpire(nextMeta, 86_400_000))
        for await (const batch of batches(source, batchSize)) {
          await addTo(nextBits, nextMeta, batch)
          await call('create', client.pexpire(nextBits, 86_400_000))
          added += batch.length
          rebuildOptions.onProgress?.(added)
        }
        await call('swap', redis.cacheguardBloomSwap(bitsKey, metaKey, nextBits, nextMeta))
      } catch (error) {
        await client.del(nextBits, nextMeta).catch(() => {})
        throw error
      }
      watch.reset()
      watch.count(added)
      return added
    },
    onCapacity: (listener) => watch.on(listener),
  }
  return filter
}

function metaFields(size: BloomSize, signature: string): Record<string, string | number> {
  return {
    sig: signature,
    capacity: size.capacity,
    errorRate: size.errorRate,
    bits: size.bits,
    hashes: size.hashes,
    hashVersion: HASH_VERSION,
    added: 0,
  }
}

function describe(signature: string): string {
  const [version, capacity, errorRate] = signature.split(':')
  return `capacity ${capacity}, errorRate ${errorRate}, hashing ${version}`
}

function registerScripts(client: Redis | Cluster): BloomCommands {
  const commands = client as unknown as Partial<BloomCommands>
  if (typeof commands.cacheguardBloomCheck !== 'function') {
    client.defineCommand('cacheguardBloomCheck', { numberOfKeys: 2, lua: CHECK })
    client.defineCommand('cacheguardBloomAdd', { numberOfKeys: 2, lua: ADD })
    // SWAP also persists the renamed keys: RENAME keeps the build's safety TTL otherwise.
    client.defineCommand('cacheguardBloomSwap', { numberOfKeys: 4, lua: SWAP })
  }
  return client as unknown as BloomCommands
}

/** Bounds a Redis call: a typed error after `ms`, and every failure typed. */
function bounded<T>(pending: Promise<T>, ms: number, operation: string, key: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreTimeoutError(operation, key, ms)), ms)
    timer.unref()
    pending.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(
          error instanceof Error && 'code' in error && String(error.code).startsWith('CG_')
            ? error
            : new StoreError(operation, key, error),
        )
      },
    )
  })
}
