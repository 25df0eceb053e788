import { bloomGuard, memoryBloom, redisBloom, seedBloom } from '@cacheguard/bloom'
import { type CacheStore, createCache } from '@cacheguard/core'
import type { Redis } from 'ioredis'
import { fakeDb } from './fake-db.js'
import { counters, type RunResult } from './scenario.js'
import { timeRequests } from './stats.js'

/** Options of `runPenetration`. */
export interface PenetrationOptions {
  /** A fresh, empty store per run. */
  store: () => CacheStore
  /** When given, the filter is a redisBloom shared through this client; else a memoryBloom. */
  redis?: Redis
  /** A prefix for the shared filter's keys. @default 'storm:' */
  prefix?: string
  /** Requests for random ids that exist nowhere. @default 10000 */
  requests?: number
  /** Ids that exist: 0 to knownIds - 1. @default 100000 */
  knownIds?: number
  /** Database latency in milliseconds. @default 5 */
  latencyMs?: number
  /** Requests in flight at once. @default 500 */
  concurrency?: number
  /** Called as each run starts, with its label (the demo prints progress from it). */
  onRun?: (label: string) => void
}

/**
 * Penetration: a scraper asks for random ids that exist nowhere. Without protection every one of
 * them misses the cache and queries the database; with a Bloom filter of the ids that exist,
 * only the filter's false positives (about 1%) get through.
 */
export async function runPenetration(options: PenetrationOptions): Promise<[RunResult, RunResult]> {
  const requests = options.requests ?? 10_000
  const knownIds = options.knownIds ?? 100_000
  const latencyMs = options.latencyMs ?? 5
  const concurrency = options.concurrency ?? 500
  const unknownIds = Array.from(
    { length: requests },
    () => knownIds + Math.floor(Math.random() * 1e9),
  )

  const plainStore = options.store()
  const plainDb = fakeDb({ latencyMs, knownIds })
  options.onRun?.('without cacheguard')
  const plainStarted = performance.now()
  // Every id is unknown: any answer but "not found" is wrong.
  const without = await timeRequests(
    requests,
    async (i) => {
      const key = `user:${unknownIds[i]}`
      const cached = await plainStore.get(key)
      if (cached) return JSON.parse(cached) == null
      const user = await plainDb.findUser(unknownIds[i]!)
      // The usual cache-aside code caches only what it found: "not found" is asked again next time.
      if (user) await plainStore.set(key, JSON.stringify(user), 60_000)
      return user == null
    },
    concurrency,
  )
  const plainEnded = performance.now()

  const existing = Array.from({ length: knownIds }, (_, i) => String(i))
  const filter = options.redis
    ? redisBloom(options.redis, {
        key: 'users',
        capacity: knownIds,
        errorRate: 0.01,
        prefix: options.prefix ?? 'storm:',
      })
    : memoryBloom({ capacity: knownIds, errorRate: 0.01 })
  await seedBloom(filter, existing, { batchSize: 5000 })
  const cache = createCache({
    store: options.store(),
    guards: [bloomGuard({ filter, key: (key) => key.slice('user:'.length) })],
  })
  const guardedDb = fakeDb({ latencyMs, knownIds })
  options.onRun?.('with cacheguard')
  const guardedStarted = performance.now()
  const guarded = await timeRequests(
    requests,
    async (i) => {
      const id = unknownIds[i]!
      return (await cache.getOrSet(`user:${id}`, () => guardedDb.findUser(id))) === undefined
    },
    concurrency,
  )
  return [
    { label: 'without cacheguard', ...without, ...counters(plainDb, plainStarted, plainEnded) },
    { label: 'with cacheguard', ...guarded, ...counters(guardedDb, guardedStarted) },
  ]
}
