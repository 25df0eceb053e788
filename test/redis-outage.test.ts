import { type CacheEvents, createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort, type RedisServer, startRedisServer } from './helpers/redis-server.js'

/** Rejects if `promise` has not settled within `ms`: a hang detector, not a speed claim. */
function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)
  })
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer))
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A client the way users build one: ioredis defaults, offline queue and retries included. */
function userClient(url: string): Redis {
  const client = new Redis(url)
  client.on('error', () => {})
  cleanups.push(() => client.disconnect())
  return client
}

describe('redis outage | unreachable server', () => {
  it('answers every getOrSet through the loader, reports errors, never hangs', async () => {
    const client = userClient(`redis://127.0.0.1:${await freePort()}`)
    // The breaker stays out of this test: with the default 5 failures, the 5 read timeouts could
    // open it before the loads write (it depends on scheduling), and an open breaker skips those
    // writes silently, as documented, so no write timeout would be reported.
    const cache = createCache({
      store: redisStore(client),
      storeTimeout: 200,
      breaker: { failures: 100 },
    })
    const errors: Array<CacheEvents['error']> = []
    cache.on('error', (event) => errors.push(event))
    let loads = 0
    const results = await settlesWithin(
      Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          cache.getOrSet(`user:${i % 5}`, async () => {
            loads++
            return { id: i % 5 }
          }),
        ),
      ),
      5000,
    )
    expect(results.map((r) => r?.id)).toEqual(Array.from({ length: 20 }, (_, i) => i % 5))
    // Single-flight still holds while the store is down: one load per key.
    expect(loads).toBe(5)
    const codes = new Set(errors.map((e) => `${e.operation}:${e.error.code}`))
    expect(codes).toEqual(new Set(['read:CG_STORE_TIMEOUT', 'write:CG_STORE_TIMEOUT']))
    expect(cache.stats().errors).toBe(errors.length)
  })

  it('rejects set and delete with a typed store error instead of hanging', async () => {
    const client = userClient(`redis://127.0.0.1:${await freePort()}`)
    const cache = createCache({ store: redisStore(client), storeTimeout: 100 })
    await expect(settlesWithin(cache.set('k', 1), 5000)).rejects.toMatchObject({
      code: 'CG_STORE_TIMEOUT',
      key: 'k',
    })
    await expect(settlesWithin(cache.delete('k'), 5000)).rejects.toMatchObject({
      code: 'CG_STORE_TIMEOUT',
    })
    expect(await settlesWithin(cache.get('k'), 5000)).toBeUndefined()
  })
})

describe('redis outage | server stopped mid-run', () => {
  let server: RedisServer
  afterEach(async () => {
    await server?.stop()
  })

  it('keeps answering through the loader after redis-server is killed', async () => {
    server = await startRedisServer()
    const client = userClient(server.url)
    const cache = createCache({
      store: redisStore(client, { prefix: 'outage:' }),
      storeTimeout: 200,
    })
    const errors: string[] = []
    cache.on('error', ({ error }) => errors.push(error.code))
    const source = (id: number) => async () => ({ id, name: `user ${id}` })

    for (let i = 0; i < 20; i++)
      expect(await cache.getOrSet(`user:${i}`, source(i))).toEqual({ id: i, name: `user ${i}` })
    expect(cache.stats()).toMatchObject({ loads: 20, errors: 0 })
    for (let i = 0; i < 20; i++) await cache.getOrSet(`user:${i}`, source(-1))
    expect(cache.stats()).toMatchObject({ hits: 20, loads: 20 })

    await server.kill()
    const after = await settlesWithin(
      Promise.all(Array.from({ length: 20 }, (_, i) => cache.getOrSet(`user:${i}`, source(i)))),
      5000,
    )
    expect(after).toEqual(Array.from({ length: 20 }, (_, i) => ({ id: i, name: `user ${i}` })))
    expect(cache.stats().loads).toBe(40)
    expect(errors.length).toBeGreaterThanOrEqual(20)
    expect(errors.every((code) => code === 'CG_STORE' || code === 'CG_STORE_TIMEOUT')).toBe(true)
  })
})
