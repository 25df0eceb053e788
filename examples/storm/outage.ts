import { createServer, type Server, Socket } from 'node:net'
import { createCache, memoryStore } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { warmup } from '@cacheguard/warmup'
import { Redis } from 'ioredis'
import { traffic } from './avalanche.js'
import { type FakeDb, fakeDb } from './fake-db.js'
import type { RunResult } from './scenario.js'

/** Options of `runOutage`. */
export interface OutageOptions {
  /** The Redis to use (both runs reach it through their own cuttable proxy). */
  url: string
  /** Prefix of every key the scenario writes. */
  prefix: string
  /** Keys written before the traffic starts. @default 2000 */
  keys?: number
  /** Requests per second for random keys. @default 2000 */
  rate?: number
  /** How long the traffic lasts, in ms. @default 4000 */
  durationMs?: number
  /** When Redis goes away and comes back, in ms from the traffic's start. @default [1000, 3000] */
  outage?: [number, number]
  /** Database latency in ms. @default 50 */
  latencyMs?: number
  /** Called as each run starts, with its label (the demo prints progress from it). */
  onRun?: (label: string) => void
}

/** One outage run: the usual totals and how many requests reached Redis's replacement, the DB. */
export interface OutageResult extends RunResult {
  /** Database queries that arrived while Redis was unreachable. */
  duringOutage: number
}

/**
 * Redis outage: steady traffic for keys that are all cached, and in the middle of it the network
 * between the application and Redis is cut (a TCP proxy drops every connection and refuses new
 * ones), then restored. Without cacheguard: the usual cache-aside client with a 100 ms command
 * timeout that falls back to the database on a cache error, so the database takes the whole
 * traffic. With cacheguard: a memory tier in front of Redis and a circuit breaker: the memory
 * tier keeps answering, the breaker stops paying for the dead connection, loads stay capped.
 *
 * @example
 * const [without, guarded] = await runOutage({ url: 'redis://127.0.0.1:6379', prefix: 'storm:1:' })
 * without.duringOutage // ~4000: every request of the 2 s outage
 * guarded.duringOutage // 0
 */
export async function runOutage(options: OutageOptions): Promise<[OutageResult, OutageResult]> {
  const keys = options.keys ?? 2000
  const rate = options.rate ?? 2000
  const durationMs = options.durationMs ?? 4000
  const [cutAt, restoreAt] = options.outage ?? [1000, 3000]
  if (!(cutAt >= 0 && cutAt < restoreAt && restoreAt <= durationMs)) {
    throw new RangeError(`outage must be [from, to] within the ${durationMs} ms of traffic`)
  }
  const latencyMs = options.latencyMs ?? 50
  const keyOf = (id: number) => `item:${id}`
  const ids = Array.from({ length: keys }, (_, i) => i)
  const row = (id: number) => ({ id, name: `user ${id}`, tags: ['a', 'b', 'c'] })

  /** Runs the traffic with the proxy cut from `cutAt` to `restoreAt`; reads the DB's arrivals. */
  const run = async (
    label: string,
    seed: (redis: Redis) => Promise<(id: number, db: FakeDb) => Promise<boolean>>,
  ): Promise<OutageResult> => {
    const proxy = await cuttableProxy(options.url)
    const redis = new Redis(proxy.url, {
      // What a careful cache-aside setup uses: fail fast instead of queueing while disconnected.
      commandTimeout: 100,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: () => 100,
      lazyConnect: true,
    })
    redis.on('error', () => {})
    try {
      await redis.connect()
      const request = await seed(redis)
      options.onRun?.(label)
      const db = fakeDb({ latencyMs })
      // The traffic starts now (within microseconds): the outage's span is measured from here.
      const started = performance.now()
      const result = await traffic(
        db,
        {
          rate,
          durationMs,
          keys,
          onTick: (elapsed) => {
            if (elapsed >= cutAt && elapsed < restoreAt && !proxy.isCut) proxy.cut()
            else if (elapsed >= restoreAt && proxy.isCut) proxy.restore()
          },
        },
        (id) => request(id, db),
      )
      const duringOutage = db.arrivals.filter(
        (at) => at - started >= cutAt && at - started < restoreAt,
      ).length
      return { label, ...result, duringOutage }
    } finally {
      redis.disconnect()
      await proxy.close()
    }
  }

  const without = await run('without cacheguard', async (redis) => {
    const prefix = `${options.prefix}outage:plain:`
    await Promise.all(
      ids.map((id) => redis.set(prefix + keyOf(id), JSON.stringify(row(id)), 'PX', 60_000)),
    )
    return async (id, db) => {
      const key = prefix + keyOf(id)
      try {
        const cached = await redis.get(key)
        if (cached) return (JSON.parse(cached) as { id: number }).id === id
      } catch {
        // Redis is unreachable: the usual fallback is to ask the database.
      }
      const user = await db.findUser(id)
      await redis.set(key, JSON.stringify(user), 'PX', 60_000).catch(() => {})
      return user?.id === id
    }
  })

  const guarded = await run('with cacheguard', async (redis) => {
    const cache = createCache({
      store: redisStore(redis, { prefix: `${options.prefix}outage:guarded:` }),
      l1: memoryStore(),
      ttl: '1m',
      grace: '1h',
      storeTimeout: 100,
      loadConcurrency: 32,
      breaker: { failures: 3, openFor: 500 },
    })
    await warmup(cache, { keys: ids.map(keyOf), load: (key) => row(Number(key.slice(5))) })
    return async (id, db) => {
      const user = await cache.getOrSet<{ id: number }>(keyOf(id), () => db.findUser(id))
      return user?.id === id
    }
  })
  return [without, guarded]
}

/** A TCP proxy in front of a Redis whose connection can be cut and restored. */
interface CuttableProxy {
  /** The Redis URL with the proxy's address in place of the server's. */
  url: string
  /** True between `cut()` and `restore()`. */
  readonly isCut: boolean
  /** Drops every open connection and refuses new ones. */
  cut(): void
  /** Accepts connections again. */
  restore(): void
  /** Drops everything and stops listening. */
  close(): Promise<void>
}

/** Starts a proxy on a free loopback port that forwards raw bytes to the Redis at `url`. */
async function cuttableProxy(url: string): Promise<CuttableProxy> {
  const target = new URL(url)
  const host = target.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1'
  const port = Number(target.port || 6379)
  const open = new Set<Socket>()
  let isCut = false
  const server: Server = createServer((client) => {
    if (isCut) return void client.destroy()
    const upstream = new Socket()
    for (const socket of [client, upstream]) {
      open.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => {
        open.delete(socket)
        client.destroy()
        upstream.destroy()
      })
    }
    upstream.connect(port, host)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address() as { port: number }
  const proxied = new URL(url)
  proxied.hostname = '127.0.0.1'
  proxied.port = String(address.port)
  return {
    url: proxied.toString(),
    get isCut() {
      return isCut
    },
    cut() {
      isCut = true
      for (const socket of open) socket.destroy()
    },
    restore() {
      isCut = false
    },
    close() {
      isCut = true
      for (const socket of open) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
