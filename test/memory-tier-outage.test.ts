import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  type CacheEvents,
  createCache,
  memoryStore,
  redisBus,
  redisStore,
} from './helpers/packages.js'
import { connectRedis, redisUrl, uniquePrefix } from './helpers/redis.js'
import { type RedisServer, startRedisServer } from './helpers/redis-server.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const servers: RedisServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()))
})

describe('memory tier | Redis outage', () => {
  it('keeps serving hot keys from memory while Redis is down, then closes the breaker and writes again', async () => {
    const server = await startRedisServer()
    servers.push(server)
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 })
    redis.on('error', () => {})
    const states: CacheEvents['breaker']['state'][] = []
    let loads = 0
    const load = (key: string) => () => {
      loads++
      return { key }
    }
    const cache = createCache({
      store: redisStore(redis),
      l1: memoryStore(),
      ttl: 200,
      grace: '1m',
      storeTimeout: 200,
      loadConcurrency: 4,
      breaker: { failures: 3, openFor: 300 },
    })
    cache.on('breaker', ({ state }) => states.push(state))
    const hot = Array.from({ length: 20 }, (_, i) => `hot:${i}`)
    await Promise.all(hot.map((key) => cache.getOrSet(key, load(key))))
    expect(loads).toBe(20)

    await server.kill()
    // Through the outage, past the keys' fresh time: every caller gets its value.
    for (let round = 0; round < 8; round++) {
      const values = await Promise.all(hot.map((key) => cache.getOrSet(key, load(key))))
      expect(values).toEqual(hot.map((key) => ({ key })))
      await sleep(100)
    }
    // A key nobody had cached is loaded, under the cap, and answered too.
    expect(await cache.getOrSet('cold', load('cold'))).toEqual({ key: 'cold' })
    expect(states).toContain('open')
    const during = cache.stats()
    expect(during.shortCircuited).toBeGreaterThan(0)
    // Past their fresh time the hot keys were served stale from memory, not reloaded per request.
    expect(during.staleHits).toBeGreaterThan(0)
    expect(loads).toBeLessThan(20 * 8)
    // Failures were reported until the breaker opened, and by probes: not once per request.
    expect(during.errors).toBeLessThan(during.shortCircuited)

    servers.push(await startRedisServer([], server.port))
    const deadline = Date.now() + 10_000
    while (states.at(-1) !== 'closed' && Date.now() < deadline) {
      await Promise.all(hot.map((key) => cache.getOrSet(key, load(key))))
      await sleep(50)
    }
    expect(states.at(-1)).toBe('closed')
    await cache.set('after', { v: 1 })
    expect(await redis.get('after')).toContain('{"v":1}')
    redis.disconnect()
  })
})

describe('memory tier | a read in flight during a write', () => {
  it('does not put back in memory what the read fetched before a set or delete of its key', async () => {
    // A server of its own: CLIENT PAUSE holds every client's commands, so the read is surely in
    // flight when the write happens.
    const server = await startRedisServer()
    servers.push(server)
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 })
    const admin = new Redis(server.url, { maxRetriesPerRequest: 1 })
    const tiered = () =>
      createCache({ store: redisStore(client), l1: memoryStore(), ttl: '1h', storeTimeout: 5000 })
    await tiered().set('user:1', { v: 1 })
    for (const write of ['set', 'delete'] as const) {
      const cache = tiered()
      await admin.call('client', 'pause', '300', 'ALL')
      const reading = cache.get('user:1')
      await sleep(50)
      const writing = write === 'set' ? cache.set('user:1', { v: 2 }) : cache.delete('user:1')
      // The read answers what Redis held when it was read; memory must keep the write's result.
      expect(await reading).toEqual(write === 'set' ? { v: 1 } : { v: 2 })
      await writing
      expect(await cache.get('user:1')).toEqual(write === 'set' ? { v: 2 } : undefined)
    }
    client.disconnect()
    admin.disconnect()
  })
})

describe('memory tier | invalidation across processes', () => {
  const redis = connectRedis()
  const prefix = uniquePrefix('tierbus')
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(keys)
  })

  it('a set or delete in this process drops the memory copy in another', async () => {
    const channel = `${prefix}channel`
    const file = fileURLToPath(new URL('./fixtures/tier-child.ts', import.meta.url))
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=cacheguard-source', file, redisUrl(), prefix, channel],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    )
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
    const next = async () => JSON.parse((await lines.next()).value as string)
    const childGet = async (key: string) => {
      child.stdin!.write(`get ${key}\n`)
      return (await next()).value
    }
    try {
      expect(await next()).toEqual({ ready: true })
      const bus = redisBus(redis, { subscriber: connectRedis(), channel })
      await bus.ready()
      const cache = createCache({
        store: redisStore(redis, { prefix }),
        l1: memoryStore(),
        bus,
        ttl: '1h',
      })
      await cache.set('user:1', { v: 1 })
      expect(await childGet('user:1')).toEqual({ v: 1 })
      // The child now holds user:1 in memory for an hour; only the bus can make it let go.
      await cache.set('user:1', { v: 2 })
      let seen = await childGet('user:1')
      for (let i = 0; i < 100 && seen?.v !== 2; i++) {
        await sleep(20)
        seen = await childGet('user:1')
      }
      expect(seen).toEqual({ v: 2 })
      await cache.delete('user:1')
      seen = await childGet('user:1')
      for (let i = 0; i < 100 && seen !== null; i++) {
        await sleep(20)
        seen = await childGet('user:1')
      }
      expect(seen).toBeNull()
    } finally {
      child.stdin!.end()
      child.kill()
    }
  })
})
