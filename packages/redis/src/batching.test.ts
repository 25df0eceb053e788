import { type CacheEvents, type CacheStore, createCache } from '@cacheguard/core'
import { type Cluster, Redis as IORedis, type Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectRedis, uniquePrefix } from '../../../test/helpers/redis.js'
import { type RedisCluster, startRedisCluster } from '../../../test/helpers/redis-cluster.js'
import { type RedisServer, startRedisServer } from '../../../test/helpers/redis-server.js'
import { redisStore } from './redis-store.js'

const redis = connectRedis()
const prefix = uniquePrefix('batching')

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

/** Calls of GET and MGET the server has counted so far (INFO commandstats). */
async function commandCalls(client: Redis): Promise<{ get: number; mget: number }> {
  const stats = await client.info('commandstats')
  const calls = (name: string) =>
    Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0)
  return { get: calls('get'), mget: calls('mget') }
}

describe('read batching | commands sent', () => {
  // A server of its own, so that the command counts are this test's alone.
  let server: RedisServer | undefined
  let own: Redis | undefined
  beforeAll(async () => {
    server = await startRedisServer()
    own = new IORedis(server.url, { maxRetriesPerRequest: 1 })
  })
  afterAll(async () => {
    await own?.quit()
    await server?.stop()
  })

  it('sends 64 concurrent hits on 64 keys as one GET and one MGET, each caller its own answer', async () => {
    const cache = createCache({ store: redisStore(own!) })
    const keys = Array.from({ length: 64 }, (_, i) => `user:${i}`)
    await Promise.all(keys.map((key, i) => cache.set(key, { i })))
    const before = await commandCalls(own!)
    const values = await Promise.all(keys.map((key) => cache.getOrSet(key, () => ({ i: -1 }))))
    const after = await commandCalls(own!)
    expect(values).toEqual(keys.map((_, i) => ({ i })))
    // The first read of the tick goes out alone, at once; the other 63 follow as one MGET.
    expect({ get: after.get - before.get, mget: after.mget - before.mget }).toEqual({
      get: 1,
      mget: 1,
    })
    expect(cache.stats()).toMatchObject({ hits: 64, loads: 0 })
  })

  it('splits a burst of 600 reads into MGETs of at most 256 keys', async () => {
    const cache = createCache({ store: redisStore(own!), namespace: 'burst' })
    const keys = Array.from({ length: 600 }, (_, i) => `b${i}`)
    await Promise.all(keys.map((key, i) => cache.set(key, i)))
    const before = await commandCalls(own!)
    expect(await Promise.all(keys.map((key) => cache.getOrSet(key, () => -1)))).toEqual(
      keys.map((_, i) => i),
    )
    const after = await commandCalls(own!)
    // 1 GET at once, then 599 keys: 256 + 256 + 87.
    expect({ get: after.get - before.get, mget: after.mget - before.mget }).toEqual({
      get: 1,
      mget: 3,
    })
  })

  it('sends one GET per read with batchReads: false', async () => {
    const cache = createCache({ store: redisStore(own!), namespace: 'nobatch', batchReads: false })
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`)
    await Promise.all(keys.map((key) => cache.set(key, key)))
    const before = await commandCalls(own!)
    await Promise.all(keys.map((key) => cache.getOrSet(key, () => 'loaded')))
    const after = await commandCalls(own!)
    expect({ get: after.get - before.get, mget: after.mget - before.mget }).toEqual({
      get: 20,
      mget: 0,
    })
  })

  it('sends one GET for 64 concurrent readers of one key, each with its own copy', async () => {
    const cache = createCache({ store: redisStore(own!), namespace: 'hot' })
    await cache.set('hot', { hot: true })
    const before = await commandCalls(own!)
    const values = await Promise.all(
      Array.from({ length: 64 }, () => cache.getOrSet<{ hot: boolean }>('hot', () => null)),
    )
    const after = await commandCalls(own!)
    expect(values.every((v) => v?.hot === true)).toBe(true)
    values[0]!.hot = false
    expect(values[1]!.hot).toBe(true)
    expect(await cache.get('hot')).toEqual({ hot: true })
    expect({ get: after.get - before.get, mget: after.mget - before.mget }).toEqual({
      get: 1,
      mget: 0,
    })
  })
})

describe('read batching | answers', () => {
  it('answers a batch holding a present key, a missing key and a corrupt entry, each correctly', async () => {
    const store = redisStore(redis, { prefix })
    const cache = createCache({ store, namespace: 'mixed' })
    await cache.set('present', { ok: 1 })
    await redis.set(`${prefix}mixed:corrupt`, 'written by another program')
    const errors: Array<CacheEvents['error']> = []
    cache.on('error', (event) => errors.push(event))
    const [present, missing, corrupt] = await Promise.all([
      cache.getOrSet('present', () => ({ ok: -1 })),
      cache.getOrSet('missing', () => ({ loaded: 'missing' })),
      cache.getOrSet('corrupt', () => ({ loaded: 'corrupt' })),
    ])
    expect(present).toEqual({ ok: 1 })
    expect(missing).toEqual({ loaded: 'missing' })
    expect(corrupt).toEqual({ loaded: 'corrupt' })
    expect(errors.map((e) => `${e.key}:${e.error.code}`)).toEqual(['corrupt:CG_CORRUPT_ENTRY'])
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, corrupt: 1 })
  })

  it('fails only the callers of a failed batch, typed, and they fall back to the loader', async () => {
    let calls = 0
    const base = redisStore(redis, { prefix })
    // A store whose second command fails: the first read of the tick succeeds on its own.
    const flaky: CacheStore = {
      ...base,
      name: 'flaky',
      get: (key) => base.get(key),
      getMany: async (keys) => {
        calls++
        if (calls === 1) throw new Error('connection reset')
        return base.getMany!(keys)
      },
    }
    const cache = createCache({ store: flaky, namespace: 'flaky' })
    await Promise.all(['a', 'b', 'c'].map((key) => cache.set(key, `cached ${key}`)))
    const errors: string[] = []
    cache.on('error', ({ key, error }) => errors.push(`${key}:${error.code}`))
    const answers = await Promise.all(
      ['a', 'b', 'c'].map((key) => cache.getOrSet(key, () => `loaded ${key}`)),
    )
    expect(answers).toEqual(['cached a', 'loaded b', 'loaded c'])
    expect(errors).toEqual(['b:CG_STORE', 'c:CG_STORE'])
    expect(await Promise.all(['a', 'b'].map((key) => cache.getOrSet(key, () => 'again')))).toEqual([
      'cached a',
      'loaded b',
    ])
  })

  it('reports a getMany that answers the wrong number of values, and falls back', async () => {
    const base = redisStore(redis, { prefix })
    const broken: CacheStore = {
      ...base,
      name: 'broken',
      get: (key) => base.get(key),
      getMany: async () => ['x'],
    }
    const cache = createCache({ store: broken, namespace: 'broken' })
    const errors: string[] = []
    cache.on('error', ({ error }) => errors.push(error.message))
    const answers = await Promise.all(['a', 'b', 'c'].map((key) => cache.getOrSet(key, () => key)))
    expect(answers).toEqual(['a', 'b', 'c'])
    expect(errors.filter((m) => m.includes('getMany answered 1 values for 2 keys'))).toHaveLength(2)
  })
})

describe('write batching', () => {
  it('writes 64 concurrent sets, each with its own value and TTL', async () => {
    const cache = createCache({
      store: redisStore(redis, { prefix }),
      namespace: 'writes',
      jitter: 0,
    })
    const keys = Array.from({ length: 64 }, (_, i) => `w${i}`)
    await Promise.all(keys.map((key, i) => cache.set(key, { i }, { ttl: 10_000 + i * 1000 })))
    for (const [i, key] of keys.entries()) {
      expect(await cache.get(key)).toEqual({ i })
      const ttl = await redis.pttl(`${prefix}writes:${key}`)
      expect(ttl).toBeGreaterThan(10_000 + i * 1000 - 2000)
      expect(ttl).toBeLessThanOrEqual(10_000 + i * 1000)
    }
  })

  it('fails only the callers of a failed setMany, typed', async () => {
    const base = redisStore(redis, { prefix })
    let batches = 0
    const flaky: CacheStore = {
      ...base,
      name: 'flaky-writes',
      get: (key) => base.get(key),
      set: (key, value, ttlMs) => base.set(key, value, ttlMs),
      setMany: async () => {
        batches++
        throw new Error('pipeline refused')
      },
    }
    const cache = createCache({ store: flaky, namespace: 'flaky-writes' })
    const settled = await Promise.allSettled(['a', 'b', 'c'].map((key) => cache.set(key, key)))
    expect(settled.map((s) => (s.status === 'rejected' ? s.reason.code : 'ok'))).toEqual([
      'ok',
      'CG_STORE',
      'CG_STORE',
    ])
    expect(batches).toBe(1)
    expect(await cache.get('a')).toBe('a')
    expect(await cache.get('b')).toBeUndefined()
    // A load whose write fails still answers; the failure is an event.
    const errors: string[] = []
    cache.on('error', ({ operation, error }) => errors.push(`${operation}:${error.code}`))
    // The loaders finish in one tick, so their writes do too: one goes out alone, two batched.
    // The gate opens when the third loader starts, however the misses' replies were spread.
    let open = () => {}
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    let started = 0
    const loader = (key: string) => () => {
      if (++started === 3) open()
      return gate.then(() => `loaded ${key}`)
    }
    const loaded = await Promise.all(['x', 'y', 'z'].map((key) => cache.getOrSet(key, loader(key))))
    expect(loaded).toEqual(['loaded x', 'loaded y', 'loaded z'])
    expect(errors).toEqual(['write:CG_STORE', 'write:CG_STORE'])
    expect(batches).toBe(2)
  })
})

describe('read batching | Redis Cluster', () => {
  let cluster: RedisCluster | undefined
  let client: Cluster | undefined
  beforeAll(async () => {
    cluster = await startRedisCluster(3)
    client = cluster.connect()
  })
  afterAll(async () => {
    await client?.quit().catch(() => client?.disconnect())
    await cluster?.stop()
  })

  it('answers keys of different slots read in one tick', async () => {
    const cache = createCache({ store: redisStore(client!) })
    const keys = Array.from({ length: 100 }, (_, i) => `slot-spread:${i}`)
    await Promise.all(keys.map((key, i) => cache.set(key, i)))
    expect(await Promise.all(keys.map((key) => cache.getOrSet(key, () => -1)))).toEqual(
      keys.map((_, i) => i),
    )
    expect(cache.stats()).toMatchObject({ hits: 100, loads: 0, errors: 0 })
  })

  it('answers getOrSetMany of keys across slots on a Cluster, loading each missing key once', async () => {
    const cache = createCache({ store: redisStore(client!, { prefix: 'many:' }) })
    const keys = Array.from({ length: 100 }, (_, i) => `spread:${i}`)
    await cache.setMany(keys.slice(0, 50).map((key, i) => [key, i] as const))
    const asked: string[][] = []
    const loadMany = async (missing: string[]) => {
      asked.push(missing)
      return new Map(missing.map((key) => [key, Number(key.slice('spread:'.length))]))
    }
    expect(await cache.getOrSetMany(keys, loadMany)).toEqual(keys.map((_, i) => i))
    expect(asked.map((call) => [...call].sort())).toEqual([keys.slice(50).sort()])
    expect(await cache.getOrSetMany(keys, loadMany)).toEqual(keys.map((_, i) => i))
    expect(asked).toHaveLength(1)
    expect(cache.stats()).toMatchObject({ hits: 150, loads: 50, errors: 0 })
  })
})
