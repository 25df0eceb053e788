import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { createCache } from '@cacheguard/core'
import memjs, { type Client } from 'memjs'
import { afterEach, describe, expect, it } from 'vitest'
import { startMemcachedServer } from '../../../test/helpers/memcached-server.js'
import { freePort } from '../../../test/helpers/redis-server.js'
import { memcachedStore } from './memcached-store.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Rejects if `promise` has not settled within `ms`: a hang detector, not a speed claim. */
function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)
  })
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer))
}

/** Whether `condition` comes true within 5 s, checked every 20 ms. */
async function until(condition: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 5000
  while (!condition()) {
    if (Date.now() > deadline) return false
    await sleep(20)
  }
  return true
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A client the way users build one (memjs defaults: 0.5 s timeout, 2 tries), logging quietly. */
function userClient(url: string): Client {
  const client = memjs.Client.create(url, { logger: { log: () => {} } })
  cleanups.push(() => client.close())
  return client
}

/** Collects the rejections nobody handled while a test runs. */
function unhandledRejections(): unknown[] {
  const seen: unknown[] = []
  const listener = (reason: unknown) => seen.push(reason)
  process.on('unhandledRejection', listener)
  cleanups.push(() => {
    process.off('unhandledRejection', listener)
  })
  return seen
}

describe('memcached outage | unreachable server', () => {
  it('answers every getOrSet through the loader, reports typed errors, never hangs', async () => {
    const unhandled = unhandledRejections()
    const client = userClient(`127.0.0.1:${await freePort()}`)
    const cache = createCache({ store: memcachedStore(client), storeTimeout: 300 })
    const codes = new Set<string>()
    cache.on('error', ({ operation, error }) => codes.add(`${operation}:${error.code}`))
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
    expect(loads).toBe(5)
    await expect(settlesWithin(cache.set('k', 1), 5000)).rejects.toMatchObject({
      code: expect.stringMatching(/^CG_(STORE|STORE_TIMEOUT|CIRCUIT_OPEN)$/),
    })
    // Typed store errors; once enough calls in a row have failed, the breaker opens and the
    // writes that follow fail fast with CG_CIRCUIT_OPEN (how many fail first depends on timing).
    expect(codes.size).toBeGreaterThan(0)
    for (const code of codes) {
      expect(code).toMatch(/^(read|write):CG_(STORE|STORE_TIMEOUT|CIRCUIT_OPEN)$/)
    }
    await sleep(700) // memjs's own retries end after the cache stopped waiting
    expect(unhandled).toEqual([])
  })
})

describe('memcached outage | connection closed with a request in flight', () => {
  it('leaves the hang to storeTimeout: memjs never answers such a request on its own', async () => {
    const unhandled = unhandledRejections()
    // Closes every connection (FIN, no error) as soon as a request arrives, as a memcached that is
    // restarted, or that drops a client it cannot parse, does.
    const closer = createServer((socket) => socket.once('data', () => socket.end()))
    await new Promise<void>((resolve) => closer.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => closer.close(() => resolve())))
    const { port } = closer.address() as AddressInfo
    const store = memcachedStore(userClient(`127.0.0.1:${port}`))

    const direct = store.get('user:1').then(
      () => 'answered',
      () => 'rejected',
    )
    expect(await Promise.race([direct, sleep(1500).then(() => 'pending')])).toBe('pending')

    const cache = createCache({ store, storeTimeout: 200 })
    const codes: string[] = []
    cache.on('error', ({ error }) => codes.push(error.code))
    expect(
      await settlesWithin(
        cache.getOrSet('user:2', () => ({ id: 2 })),
        2000,
      ),
    ).toEqual({
      id: 2,
    })
    expect(codes[0]).toBe('CG_STORE_TIMEOUT')
    expect(unhandled).toEqual([])
  })
})

describe('memcached outage | server killed mid-run', () => {
  it('settles every getOrSet of a running loop with the loaded value, and writes again after a restart', async () => {
    const unhandled = unhandledRejections()
    const server = await startMemcachedServer()
    cleanups.push(() => server.stop())
    const client = userClient(server.url)
    const store = memcachedStore(client, { prefix: 'outage:' })
    const cache = createCache({ store, ttl: '1m', breaker: { failures: 5, openFor: '300ms' } })
    const codes = new Set<string>()
    cache.on('error', ({ error }) => codes.add(error.code))
    const user = (id: number) => ({ id, name: `user ${id}` })

    // Eight callers in a loop over 40 keys, every answer checked, until told to stop.
    let running = true
    let calls = 0
    const wrong: unknown[] = []
    const loop = async (worker: number) => {
      for (let i = worker; running; i += 8) {
        const id = i % 40
        const value = await cache.getOrSet(`user:${id}`, async () => {
          await sleep(1)
          return user(id)
        })
        calls++
        if (value?.id !== id || value.name !== `user ${id}`) wrong.push(value)
        await sleep(2)
      }
    }
    const workers = Promise.all(Array.from({ length: 8 }, (_, w) => loop(w)))

    // The loop reads back what it wrote before the server goes.
    expect(await until(() => cache.stats().hits > 0)).toBe(true)
    await server.kill()
    const callsAtKill = calls
    // Loads went on while the server was down.
    expect(await until(() => calls - callsAtKill > 50)).toBe(true)

    const restarted = await startMemcachedServer({ port: server.port })
    cleanups.push(() => restarted.stop())
    // The restarted server is empty: an item there was written by the loop after the restart.
    const deadline = Date.now() + 10_000
    let reached = false
    while (!reached && Date.now() < deadline) {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, id) => store.get(`user:${id}`).catch(() => undefined)),
      )
      reached = answers.some((answer) => answer !== undefined)
      if (!reached) await sleep(50)
    }
    running = false
    await settlesWithin(workers, 5000)

    expect(reached).toBe(true)
    expect(wrong).toEqual([])
    expect(codes.size).toBeGreaterThan(0)
    for (const code of codes) expect(code).toMatch(/^CG_(STORE|STORE_TIMEOUT)$/)
    expect(await cache.getOrSet('after', () => 'works again')).toBe('works again')
    expect(await store.get('after')).toBeDefined()
    await sleep(700)
    expect(unhandled).toEqual([])
  })
})
