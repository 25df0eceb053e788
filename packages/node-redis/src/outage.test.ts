import { type CacheEvents, createCache } from '@cacheguard/core'
import { createClient } from 'redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { freePort, type RedisServer, startRedisServer } from '../../../test/helpers/redis-server.js'
import { nodeRedisStore } from './node-redis-store.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// Every rejection must reach a caller or an event: none may go unhandled.
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
})
afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
})
afterEach(async () => {
  // A rejection is reported as unhandled a tick after nobody caught it.
  await sleep(20)
  expect(unhandled).toEqual([])
})

/** A cache over `client` that records the codes of its error events. */
function watchedCache(client: Parameters<typeof nodeRedisStore>[0], storeTimeout: number) {
  const cache = createCache({ store: nodeRedisStore(client), storeTimeout })
  const codes: string[] = []
  cache.on('error', ({ error }: CacheEvents['error']) => codes.push(error.code))
  return { cache, codes }
}

describe('nodeRedisStore | the server goes down', () => {
  const clientErrors: string[] = []
  const connect = (url: string) =>
    createClient({ url })
      .on('error', (error: Error) => clientErrors.push(error.message))
      .connect()
  let server: RedisServer
  let live: Awaited<ReturnType<typeof connect>>
  beforeAll(async () => {
    server = await startRedisServer()
    live = await connect(server.url)
  })
  afterAll(async () => {
    live?.destroy()
    await server?.stop()
  })

  it('answers through the loader within storeTimeout while it is down, and uses it again once back', async () => {
    const { cache, codes } = watchedCache(live, 200)
    await cache.set('user:1', 'cached')
    expect(await cache.getOrSet('user:1', () => 'loaded')).toBe('cached')

    await server.kill()
    const started = Date.now()
    const answers = await Promise.all(
      ['user:1', 'user:2', 'user:3'].map((key) => cache.getOrSet(key, () => `loaded ${key}`)),
    )
    expect(answers).toEqual(['loaded user:1', 'loaded user:2', 'loaded user:3'])
    // One storeTimeout for the reads; the writes after the loads do not hold the callers. The
    // bound catches a hang (node-redis queues commands while down), not a slow machine.
    expect(Date.now() - started).toBeLessThan(4000)
    expect(codes.length).toBeGreaterThan(0)
    expect(codes.every((code) => code === 'CG_STORE' || code === 'CG_STORE_TIMEOUT')).toBe(true)
    expect(clientErrors.length).toBeGreaterThan(0)

    // node-redis reconnects by itself (its own backoff); the store needs nothing done.
    server = await startRedisServer([], server.port)
    const deadline = Date.now() + 10_000
    while (!live.isReady && Date.now() < deadline) await sleep(50)
    expect(live.isReady).toBe(true)
    const fresh = createCache({ store: nodeRedisStore(live) })
    await fresh.set('user:4', 'written after the restart')
    expect(await live.get('user:4')).toContain('written after the restart')
  })
})

describe('nodeRedisStore | a client that cannot send', () => {
  it('fails each call at once, without waiting for storeTimeout, with disableOfflineQueue', async () => {
    const offline = createClient({
      url: `redis://127.0.0.1:${await freePort()}`,
      disableOfflineQueue: true,
    }).on('error', () => {})
    // Connecting to a port nobody listens on: the client retries forever, and is never ready.
    offline.connect().catch(() => {})
    try {
      const { cache, codes } = watchedCache(offline, 5000)
      const started = Date.now()
      expect(await cache.getOrSet('user:1', () => 'loaded')).toBe('loaded')
      // Well below the 5 s storeTimeout, with room for a slow machine.
      expect(Date.now() - started).toBeLessThan(2500)
      expect(codes).toEqual(['CG_STORE', 'CG_STORE'])
      await expect(nodeRedisStore(offline).get('user:1')).rejects.toThrow('The client is offline')
    } finally {
      offline.destroy()
    }
  })

  it('treats a client that is not open (never connected, or closed) as store errors', async () => {
    const closed = createClient({ url: 'redis://127.0.0.1:6379' }).on('error', () => {})
    const { cache, codes } = watchedCache(closed, 5000)
    const started = Date.now()
    expect(await cache.getOrSet('user:1', () => 'loaded')).toBe('loaded')
    await expect(cache.set('user:2', 'value')).rejects.toMatchObject({ code: 'CG_STORE' })
    // Well below the 5 s storeTimeout, with room for a slow machine.
    expect(Date.now() - started).toBeLessThan(2500)
    expect(codes).toEqual(['CG_STORE', 'CG_STORE', 'CG_STORE'])
    const store = nodeRedisStore(closed)
    for (const call of [
      store.get('k'),
      store.getMany!(['a', 'b']),
      store.setMany!([{ key: 'a', value: 'v', ttlMs: 1000 }]),
      store.delete('k'),
      store.ttl!('k'),
      store.nextFence!('k'),
      store.setFenced!('k', 'v', 1000, 1),
    ]) {
      await expect(call).rejects.toThrow('The client is closed')
    }
  })
})
