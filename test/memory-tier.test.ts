import { afterAll, describe, expect, it } from 'vitest'
import {
  type CacheEvents,
  createCache,
  memoryBus,
  memoryStore,
  redisStore,
} from './helpers/packages.js'
import { connectRedis, uniquePrefix, unreachableRedis } from './helpers/redis.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const redis = connectRedis()
const prefix = uniquePrefix('tier')

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

const tiered = (options: Parameters<typeof createCache>[0] = {}) =>
  createCache({ store: redisStore(redis, { prefix }), l1: memoryStore(), ttl: '1h', ...options })

describe('memory tier | reads and writes', () => {
  it('answers a fresh memory copy without asking Redis', async () => {
    const cache = tiered()
    let loads = 0
    await cache.getOrSet('user:1', () => ({ id: 1, loads: ++loads }))
    await redis.del(`${prefix}user:1`)
    expect(await cache.getOrSet('user:1', () => ({ id: 1, loads: ++loads }))).toEqual({
      id: 1,
      loads: 1,
    })
    expect(cache.stats().hits).toBe(1)
  })

  it('fills memory from Redis on a read, and sends writes and deletes to both tiers', async () => {
    const writer = tiered()
    await writer.set('user:2', { id: 2 })
    expect(await redis.get(`${prefix}user:2`)).toContain('{"id":2}')
    const reader = tiered()
    expect(await reader.get('user:2')).toEqual({ id: 2 })
    await redis.del(`${prefix}user:2`)
    // Filled from Redis by the first read: the second is answered from memory.
    expect(await reader.get('user:2')).toEqual({ id: 2 })
    await writer.set('user:3', { id: 3 })
    expect(await writer.delete('user:3')).toBe(true)
    expect(await redis.exists(`${prefix}user:3`)).toBe(0)
    expect(await writer.get('user:3')).toBeUndefined()
  })

  it('drops the memory copy of another cache on the same bus when one writes or deletes', async () => {
    const bus = memoryBus()
    const [a, b] = [tiered({ bus }), tiered({ bus })]
    await a.set('user:4', { v: 1 })
    expect(await b.get('user:4')).toEqual({ v: 1 })
    await a.set('user:4', { v: 2 })
    expect(await b.get('user:4')).toEqual({ v: 2 })
    await a.delete('user:4')
    expect(await b.get('user:4')).toBeUndefined()
  })
})

describe('memory tier | races', () => {
  it('has({ memory: false }) asks the store past the memory tier (after a flush)', async () => {
    const cache = tiered()
    await cache.set('user:7', { v: 1 })
    await redis.del(`${prefix}user:7`)
    expect(await cache.has('user:7')).toBe(true)
    expect(await cache.has('user:7', { memory: false })).toBe(false)
  })
})

describe('memory tier | circuit breaker', () => {
  const unreachable = () => unreachableRedis({ enableOfflineQueue: false })

  it('opens after consecutive failures: reads stop asking the store, writes reject CG_CIRCUIT_OPEN', async () => {
    const client = unreachable()
    const states: CacheEvents['breaker'][] = []
    const cache = createCache({
      store: redisStore(client),
      l1: memoryStore(),
      breaker: { failures: 3, openFor: '1m' },
    })
    cache.on('breaker', (event) => states.push(event))
    let loads = 0
    for (let i = 0; i < 10; i++) expect(await cache.getOrSet(`k${i}`, () => ++loads)).toBe(i + 1)
    expect(states).toEqual([{ state: 'open', failures: 3, store: 'redis' }])
    // Three failed reads (and the writes that followed them, before it opened) were reported.
    const { errors, shortCircuited } = cache.stats()
    expect(errors).toBeLessThanOrEqual(6)
    expect(shortCircuited).toBeGreaterThanOrEqual(14)
    // Loaded values live in memory meanwhile.
    expect(await cache.getOrSet('k9', () => -1)).toBe(10)
    await expect(cache.set('k', 1)).rejects.toMatchObject({ code: 'CG_CIRCUIT_OPEN' })
    await expect(cache.delete('k')).rejects.toMatchObject({ code: 'CG_CIRCUIT_OPEN' })
    expect(await cache.get('k')).toBeUndefined()
    client.disconnect()
  })

  it('can be turned off, and is not used for a local store', async () => {
    const client = unreachable()
    const cache = createCache({ store: redisStore(client), breaker: false })
    for (let i = 0; i < 10; i++) await cache.getOrSet(`k${i}`, () => i)
    expect(cache.stats().shortCircuited).toBe(0)
    expect(cache.stats().errors).toBeGreaterThanOrEqual(10)
    client.disconnect()
  })

  it('checks its options', () => {
    expect(() => createCache({ l1: redisStore(redis) })).toThrow(/in-process store/)
    expect(() => createCache({ bus: memoryBus() })).toThrow(/needs `l1`/)
    expect(() => createCache({ bus: {} as never, l1: memoryStore() })).toThrow(/publish/)
    expect(() => createCache({ store: redisStore(redis), breaker: { failures: 0 } })).toThrow(
      /breaker.failures/,
    )
    expect(() => createCache({ store: redisStore(redis), breaker: true as never })).toThrow(
      /`breaker`/,
    )
  })
})

describe('memory tier | l1MaxAge bounds a missed bus message (issue 15)', () => {
  const redis = connectRedis()
  const prefix = uniquePrefix('tier-max-age')
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(keys)
  })

  /** Reads `key` through `cache` every 20 ms until `done` holds; resolves the ms it took. */
  async function until(read: () => Promise<unknown>, done: (value: unknown) => boolean) {
    const start = Date.now()
    while (!done(await read())) {
      if (Date.now() - start > 5000) throw new Error('not within 5 s')
      await sleep(20)
    }
    return Date.now() - start
  }

  it('serves a memory copy that a write and a deleteTags elsewhere outdated for at most l1MaxAge', async () => {
    const store = redisStore(redis, { prefix })
    // No bus: this process misses every message, as one disconnected from Redis would.
    const deaf = createCache({ store, l1: memoryStore(), ttl: '1h', l1MaxAge: 400 })
    const other = createCache({ store, ttl: '1h' })
    await deaf.set('k', 'v1', { tags: ['t'] })
    expect(await deaf.get('k')).toBe('v1')
    await other.set('k', 'v2', { tags: ['t'] })
    // Its memory copy answers at first: the write elsewhere was not heard.
    expect(await deaf.get('k')).toBe('v1')
    const written = await until(
      () => deaf.get('k'),
      (value) => value === 'v2',
    )
    expect(written).toBeLessThan(400 + 300)
    await other.deleteTags(['t'])
    expect(await deaf.get('k')).toBe('v2')
    const deleted = await until(
      () => deaf.get('k'),
      (value) => value === undefined,
    )
    expect(deleted).toBeLessThan(400 + 300)
  })

  it('serves the copy until its fresh time ends with l1MaxAge: false', async () => {
    const store = redisStore(redis, { prefix: `${prefix}off:` })
    const deaf = createCache({ store, l1: memoryStore(), ttl: '1h', l1MaxAge: false })
    await deaf.set('k', 'v1')
    await createCache({ store }).set('k', 'v2')
    await sleep(600)
    expect(await deaf.get('k')).toBe('v1')
    expect(() => createCache({ l1MaxAge: 0 })).toThrow(
      'Expected `l1MaxAge` to be a positive duration',
    )
  })
})
