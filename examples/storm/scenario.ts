import { type CacheStore, createCache } from '@cacheguard/core'
import { type FakeDb, fakeDb } from './fake-db.js'
import { type Timing, timeline, timeRequests } from './stats.js'

/** What one run measured. */
export interface RunResult extends Timing {
  /** `'without cacheguard'` or `'with cacheguard'`. */
  label: string
  /** Queries the database received, read from its own counter. */
  dbQueries: number
  /** The most database queries running at once. */
  peakConcurrent: number
  /** Database queries that arrived in each 100 ms of the run, from its first request. */
  timeline: number[]
}

/** Options of `runBreakdown`. */
export interface BreakdownOptions {
  /** Creates a fresh, empty store; called once per run so the two runs never share entries. */
  store: () => CacheStore
  /** Concurrent requests for the hot key. @default 1000 */
  requests?: number
  /** Database latency in milliseconds. @default 50 */
  latencyMs?: number
  /** Creates the database of each run, called once per run. @default () => fakeDb({ latencyMs }) */
  db?: () => FakeDb
  /** Called as each run starts, with its label (the demo prints progress from it). */
  onRun?: (label: string) => void
}

const KEY = 'user:42'
const USER = { id: 42, name: 'user 42', tags: ['a', 'b', 'c'] }

/**
 * Breakdown: a hot key has just expired and `requests` concurrent requests arrive for it.
 * Runs it twice over a fresh store and database each time: without cacheguard (plain
 * cache-aside, as most apps write it), then with `createCache` + `getOrSet`.
 *
 * @example
 * const [without, guarded] = await runBreakdown({ store: () => memoryStore(), requests: 1000 })
 * without.dbQueries // 1000
 * guarded.dbQueries // 1
 */
export async function runBreakdown(options: BreakdownOptions): Promise<[RunResult, RunResult]> {
  const requests = options.requests ?? 1000
  const latencyMs = options.latencyMs ?? 50
  const newDb = options.db ?? (() => fakeDb({ latencyMs }))

  // Without: get; on a miss, query the database, then set. Every concurrent miss queries.
  const plainStore = options.store()
  const plainDb = newDb()
  await plainStore.set(KEY, JSON.stringify(USER), 20)
  await expire()
  options.onRun?.('without cacheguard')
  const plainStarted = performance.now()
  const without = await timeRequests(requests, async () => {
    const cached = await plainStore.get(KEY)
    if (cached) return isUser(JSON.parse(cached))
    const user = await plainDb.findUser(42)
    await plainStore.set(KEY, JSON.stringify(user), 60_000)
    return isUser(user)
  })
  const plainEnded = performance.now()

  // With: one getOrSet per request; concurrent misses share one query.
  const cache = createCache({ store: options.store(), ttl: '1m' })
  const guardedDb = newDb()
  await cache.set(KEY, USER, { ttl: 20 })
  await expire()
  options.onRun?.('with cacheguard')
  const guardedStarted = performance.now()
  const guarded = await timeRequests(requests, async () =>
    isUser(await cache.getOrSet(KEY, () => guardedDb.findUser(42))),
  )

  return [
    { label: 'without cacheguard', ...without, ...counters(plainDb, plainStarted, plainEnded) },
    { label: 'with cacheguard', ...guarded, ...counters(guardedDb, guardedStarted) },
  ]
}

/**
 * Reads the database's own counters after its run, and its arrivals as a timeline from `from`
 * to `to` (`performance.now()` times; `to` defaults to now).
 */
export function counters(
  db: FakeDb,
  from: number,
  to = performance.now(),
): Pick<RunResult, 'dbQueries' | 'peakConcurrent' | 'timeline'> {
  return {
    dbQueries: db.queries,
    peakConcurrent: db.peakConcurrent,
    timeline: timeline(db.arrivals, from, to),
  }
}

/** Waits until the 20 ms entries written above have expired (jitter adds at most 10%). */
function expire(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 60))
}

function isUser(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { id?: unknown }).id === 42
}
