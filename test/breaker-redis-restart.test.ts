import { type Cache, type CacheOptions, createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from './helpers/redis-server.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function redisServer(port?: number): Promise<RedisServer> {
  const server = await startRedisServer([], port)
  cleanups.push(() => server.stop())
  return server
}

/** A client the way users build one: ioredis defaults, its reconnect back-off included. */
function userClient(port: number): Redis {
  const client = new Redis(port, '127.0.0.1')
  client.on('error', () => {})
  cleanups.push(() => client.disconnect())
  return client
}

/** The client's next `ready` event (`events.once` would reject at its next connection error). */
function nextReady(client: Redis): Promise<void> {
  return new Promise((resolve) => client.once('ready', () => resolve()))
}

/** Rejects if `promise` has not settled within `ms`: a hang detector, not a speed claim. */
function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)
  })
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer))
}

/**
 * A cache over `client` and what happened to both, in order: the client's `ready` events (as
 * 'client ready') and the cache's `breaker` states. Listening starts once the client is ready.
 */
async function watchedCache(client: Redis, options: Partial<CacheOptions> = {}) {
  const cache = createCache({ ...options, store: redisStore(client, { prefix: 'restart:' }) })
  await cache.set('before', 1)
  const timeline: string[] = []
  client.on('ready', () => timeline.push('client ready'))
  cache.on('breaker', ({ state }) => timeline.push(state))
  const opened = new Promise<void>((resolve) => {
    cache.on('breaker', ({ state }) => {
      if (state === 'open') resolve()
    })
  })
  return { cache, timeline, opened }
}

/** Requests arriving every 50 ms, each reading a key of its own; resolves when stopped and settled. */
function traffic(cache: Cache): () => Promise<void> {
  const pending = new Set<Promise<unknown>>()
  let i = 0
  const timer = setInterval(() => {
    const read = cache.get(`user:${i++}`)
    pending.add(read)
    void read.finally(() => pending.delete(read))
  }, 50)
  return async () => {
    clearInterval(timer)
    await Promise.all(pending)
  }
}

/** Writes `key` on the restarted server through a client of its own (the server starts empty). */
async function writeAfterRestart(port: number, key: string, value: unknown): Promise<void> {
  const writer = createCache({ store: redisStore(userClient(port), { prefix: 'restart:' }) })
  await writer.set(key, value)
}

/** The cache's read of `key` right after the client is ready, or one short interval later. */
async function readOnceReady(cache: Cache, key: string): Promise<unknown> {
  const value = await cache.get(key)
  if (value !== undefined) return value
  await sleep(200)
  return cache.get(key)
}

describe('breaker | Redis restarted', () => {
  it('probes as soon as the client is ready again, not after another open period', async () => {
    const server = await redisServer()
    const client = userClient(server.port)
    // The default breaker: 5 failed calls in a row open it for 5 s.
    const { cache, timeline, opened } = await watchedCache(client)

    await server.stop()
    const stopTraffic = traffic(cache)
    await settlesWithin(opened, 10_000)
    await stopTraffic()
    const ready = nextReady(client)
    const restarted = await redisServer(server.port)
    await writeAfterRestart(restarted.port, 'after', { v: 1 })
    // ioredis reconnects on its own back-off; the breaker has no say in when.
    await settlesWithin(ready, 15_000)

    // The breaker opened a moment ago, well within its 5 s: only the client's readiness can let
    // this read through.
    expect(await readOnceReady(cache, 'after')).toEqual({ v: 1 })
    expect(timeline).toEqual(['open', 'client ready', 'half-open', 'closed'])
  })

  it('sends no probe while the client is still reconnecting, then one once it is ready', async () => {
    const server = await redisServer()
    const client = userClient(server.port)
    const { cache, timeline, opened } = await watchedCache(client, {
      breaker: { failures: 5, openFor: '1s' },
    })

    await server.stop()
    const stopTraffic = traffic(cache)
    await settlesWithin(opened, 10_000)
    // Requests keep coming for more than twice `openFor` while the server is down: a probe sent
    // to a client that is reconnecting could only time out and open the breaker again.
    await sleep(2500)
    await stopTraffic()
    expect(timeline).toEqual(['open'])

    const ready = nextReady(client)
    const restarted = await redisServer(server.port)
    await writeAfterRestart(restarted.port, 'after', { v: 2 })
    await settlesWithin(ready, 15_000)

    expect(await readOnceReady(cache, 'after')).toEqual({ v: 2 })
    expect(timeline).toEqual(['open', 'client ready', 'half-open', 'closed'])
  })
})
