import { type CacheStore, createCache } from '@cacheguard/core'
import { warmup } from '@cacheguard/warmup'
import { type FakeDb, fakeDb } from './fake-db.js'
import { counters, type RunResult } from './scenario.js'
import { percentile } from './stats.js'

/** Options of `runAvalanche`. */
export interface AvalancheOptions {
  /** Creates a fresh, empty store; called once per run. */
  store: () => CacheStore
  /** Keys written together at the start. @default 10000 */
  keys?: number
  /** Their time to live, in ms. @default 3000 */
  ttlMs?: number
  /** Requests per second for random keys, for `durationMs`. @default 5000 */
  rate?: number
  /** How long the traffic lasts, in ms (it must outlast the TTL). @default 5000 */
  durationMs?: number
  /** Database latency in ms. @default 50 */
  latencyMs?: number
  /** Called as each run starts, with its label (the demo prints progress from it). */
  onRun?: (label: string) => void
}

const TICK_MS = 10

/**
 * Avalanche: `keys` keys are written at the same moment (one deploy, one batch job), and steady
 * traffic for random keys goes on past their TTL. Without cacheguard (cache-aside, one fixed
 * TTL) they all expire at once and every request that follows misses and queries the database.
 * With cacheguard the keys are written by `warmup`, so their TTLs are jittered (+-10%); expired
 * keys are served stale within `grace` while they are reloaded, at most `loadConcurrency` at once.
 */
export async function runAvalanche(options: AvalancheOptions): Promise<[RunResult, RunResult]> {
  const keys = options.keys ?? 10_000
  const ttlMs = options.ttlMs ?? 3000
  const rate = options.rate ?? 5000
  const durationMs = options.durationMs ?? 5000
  const latencyMs = options.latencyMs ?? 50
  const ids = Array.from({ length: keys }, (_, i) => i)
  const keyOf = (id: number) => `item:${id}`

  // Without: the deploy writes every key with the same TTL; requests are plain cache-aside.
  const plainStore = options.store()
  const plainDb = fakeDb({ latencyMs })
  const row = (id: number) => JSON.stringify({ id, name: `user ${id}`, tags: ['a', 'b', 'c'] })
  await Promise.all(ids.map((id) => plainStore.set(keyOf(id), row(id), ttlMs)))
  options.onRun?.('without cacheguard')
  const without = await traffic(plainDb, { rate, durationMs, keys }, async (id) => {
    const cached = await plainStore.get(keyOf(id))
    if (cached) return (JSON.parse(cached) as { id: number }).id === id
    const user = await plainDb.findUser(id)
    await plainStore.set(keyOf(id), JSON.stringify(user), ttlMs)
    return user?.id === id
  })

  // With: the same keys written by a warmup (jittered TTLs), grace and a cap on loads.
  const guardedDb = fakeDb({ latencyMs })
  const cache = createCache({
    store: options.store(),
    ttl: ttlMs,
    jitter: 0.1,
    grace: '1m',
    loadConcurrency: 32,
  })
  const seedDb = fakeDb({ latencyMs: 0 })
  await warmup(cache, { keys: ids.map(keyOf), load: (key) => seedDb.findUser(idOf(key)) })
  options.onRun?.('with cacheguard')
  const guarded = await traffic(guardedDb, { rate, durationMs, keys }, async (id) => {
    const user = await cache.getOrSet<{ id: number }>(keyOf(id), () => guardedDb.findUser(id))
    return user?.id === id
  })

  return [
    { label: 'without cacheguard', ...without },
    { label: 'with cacheguard', ...guarded },
  ]
}

function idOf(key: string): number {
  return Number(key.slice('item:'.length))
}

/**
 * Sends `rate` requests per second for random keys during `durationMs`, in a batch every 10 ms
 * (a late batch catches up, so the rate holds on a busy machine),
 * times each, and reads the database's arrivals into 100 ms buckets from the traffic's start.
 * `onTick(elapsedMs)` runs before each batch (the outage scenario cuts Redis from it).
 */
export async function traffic(
  db: FakeDb,
  options: { rate: number; durationMs: number; keys: number; onTick?: (elapsedMs: number) => void },
  request: (id: number) => Promise<boolean>,
): Promise<Omit<RunResult, 'label'>> {
  const latencies: number[] = []
  let errors = 0
  const one = async () => {
    const sent = performance.now()
    try {
      if (!(await request(Math.floor(Math.random() * options.keys)))) errors++
    } catch {
      errors++
    }
    latencies.push(performance.now() - sent)
  }
  const started = performance.now()
  const pending: Array<Promise<void>> = []
  let sent = 0
  for (let elapsed = 0; elapsed < options.durationMs; elapsed = performance.now() - started) {
    options.onTick?.(elapsed)
    // Keeps to the rate: a batch late by a busy event loop sends what the wait held back.
    const due = Math.floor((options.rate * elapsed) / 1000) + 1 - sent
    for (let i = 0; i < due; i++) pending.push(one())
    sent += Math.max(0, due)
    await new Promise((resolve) => setTimeout(resolve, TICK_MS))
  }
  await Promise.all(pending)
  return {
    requests: latencies.length,
    errors,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    ...counters(db, started, started + options.durationMs),
  }
}
