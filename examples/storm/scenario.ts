import { type CacheStore, createCache } from '@cacheguard/core'
import { fakeDb } from './fake-db.js'
import { percentile } from './percentiles.js'

/** What one run measured. */
export interface RunResult {
  label: string
  /** Queries the database received, read from its own counter. */
  dbQueries: number
  /** The most database queries running at once. */
  peakConcurrent: number
  p50Ms: number
  p99Ms: number
  errors: number
  requests: number
}

export interface BreakdownOptions {
  /** A fresh, empty store per run. */
  store: () => CacheStore
  /** Concurrent requests for the hot key. @default 1000 */
  requests?: number
  /** Database latency in milliseconds. @default 50 */
  latencyMs?: number
}

/**
 * Breakdown: a hot key has just expired and `requests` concurrent requests arrive for it.
 * Runs it twice, without cacheguard (plain cache-aside, as most apps write it) and with it.
 */
export async function runBreakdown(options: BreakdownOptions): Promise<[RunResult, RunResult]> {
  const requests = options.requests ?? 1000
  const latencyMs = options.latencyMs ?? 50
  const key = 'user:42'

  // Without: get, on a miss query the database, then set. Every concurrent miss queries.
  const plainStore = options.store()
  const plainDb = fakeDb({ latencyMs })
  await plainStore.set(key, JSON.stringify({ id: 42, name: 'user 42', tags: [] }), 20)
  await expire()
  const without = await measure('without cacheguard', requests, async () => {
    const cached = await plainStore.get(key)
    if (cached) return JSON.parse(cached)
    const user = await plainDb.findUser(42)
    await plainStore.set(key, JSON.stringify(user), 60_000)
    return user
  })

  // With: one getOrSet; concurrent misses share one query.
  const cache = createCache({ store: options.store(), ttl: '1m' })
  const guardedDb = fakeDb({ latencyMs })
  await cache.set(key, { id: 42, name: 'user 42', tags: [] }, { ttl: 20 })
  await expire()
  const withGuard = await measure('with cacheguard', requests, () =>
    cache.getOrSet(key, () => guardedDb.findUser(42)),
  )
  return [
    { ...without, dbQueries: plainDb.queries, peakConcurrent: plainDb.peakConcurrent },
    { ...withGuard, dbQueries: guardedDb.queries, peakConcurrent: guardedDb.peakConcurrent },
  ]
}

/** Waits until the 20 ms entries written above have expired. */
function expire(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 60))
}

async function measure(
  label: string,
  requests: number,
  request: () => Promise<unknown>,
): Promise<Omit<RunResult, 'dbQueries' | 'peakConcurrent'>> {
  const latencies: number[] = []
  let errors = 0
  await Promise.all(
    Array.from({ length: requests }, async () => {
      const started = performance.now()
      try {
        const user = await request()
        if (!user) errors++
      } catch {
        errors++
      }
      latencies.push(performance.now() - started)
    }),
  )
  return {
    label,
    requests,
    errors,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  }
}
