import type { Cache } from '@cacheguard/core'
import pLimit from 'p-limit'
import { resolveKeys } from './internal/keys.js'
import { resolveWarmup, type WarmupOptions, type WarmupProgress } from './internal/options.js'
import { delay, pacer } from './internal/pace.js'

// The options live beside their defaults in internal/options.ts, so imports run one way.
export type { WarmupOptions, WarmupProgress }

/** What a run did. */
export interface WarmupReport extends WarmupProgress {
  /** Keys seen (all of them, unless the run was aborted). */
  total: number
  durationMs: number
  /** The first `maxErrors` failures, after their retries. */
  errors: Array<{ key: string; error: unknown }>
  aborted: boolean
}

/**
 * Fills `cache` for every key of `keys` before traffic asks for them: each key the store does
 * not hold fresh is loaded and written with `cache.set` (so the cache's jittered TTLs spread the
 * keys' expiry and guards hear of the write), at most `concurrency` loads at once and
 * `ratePerSecond` per second. Fresh keys are skipped unless `force`; a key that keeps failing
 * (to load or to be written) is reported, never stops the run.
 *
 * @example
 * const report = await warmup(cache, { keys: db.streamHotIds(), load: (key) => db.find(key), concurrency: 32 })
 * if (report.failed > 0) console.error(report.errors)
 */
export async function warmup<T>(cache: Cache, options: WarmupOptions<T>): Promise<WarmupReport> {
  const o = resolveWarmup(cache, options)
  const started = performance.now()
  const limit = pLimit(o.concurrency)
  const pace = pacer(o.ratePerSecond, o.signal)
  const report: WarmupReport = {
    total: 0,
    done: 0,
    loaded: 0,
    skipped: 0,
    failed: 0,
    durationMs: 0,
    errors: [],
    aborted: false,
  }
  const finish = (outcome: 'loaded' | 'skipped' | 'failed', key: string, error?: unknown): void => {
    report[outcome]++
    report.done++
    if (outcome === 'failed' && report.errors.length < o.maxErrors)
      report.errors.push({ key, error })
    try {
      const { done, loaded, skipped, failed } = report
      o.onProgress?.({ done, loaded, skipped, failed })
    } catch {
      // A progress listener that throws must not fail a key or stop the run.
    }
  }

  // The cap applies to loads only: a key's store read and write overlap other keys' loads. A load
  // still queued when the run is aborted never starts.
  const loadOne = (key: string) =>
    limit(() => {
      if (o.signal?.aborted) throw new WarmupAbortedError()
      return o.load(key)
    })

  // A key is loaded unless the store itself (not this process's memory tier, which may outlive a
  // flush) holds it fresh for `freshFor` more; then it is written with `set`, whose rejection on
  // a failed write is retried and reported like a failed load. `getOrSet` would answer a key
  // within grace with its stale value and refresh it in the background, out of the run's sight.
  const warmOne = async (key: string): Promise<void> => {
    if (o.signal?.aborted) return
    if (!o.force) {
      try {
        if (await cache.has(key, { freshFor: o.freshFor, memory: false })) {
          return finish('skipped', key)
        }
      } catch (error) {
        return finish('failed', key, error)
      }
    }
    for (let attempt = 0; ; attempt++) {
      await pace()
      if (o.signal?.aborted) return
      try {
        await cache.set(key, await loadOne(key))
        return finish('loaded', key)
      } catch (error) {
        if (o.signal?.aborted) return
        if (attempt >= o.retries) return finish('failed', key, error)
        await delay(o.retryDelay * 2 ** attempt, o.signal)
      }
    }
  }

  // Keys are pulled from the source only as fast as they are warmed (at most 2 x `concurrency`
  // in progress: loading, or reading and writing the store), so a cursor over millions of ids
  // never sits in memory whole. One callback wakes the loop when a key is done: racing the set of
  // running keys instead cost ~10 us of CPU per key, enough to delay the loads' own timers.
  let inFlight = 0
  let wake: (() => void) | undefined
  const settled = () => {
    inFlight--
    const resume = wake
    wake = undefined
    resume?.()
  }
  const slotFreed = () =>
    new Promise<void>((resolve) => {
      wake = resolve
    })
  try {
    for await (const key of await resolveKeys(o.keys)) {
      if (o.signal?.aborted) break
      report.total++
      inFlight++
      warmOne(key).then(settled, settled)
      if (inFlight >= 2 * o.concurrency) await slotFreed()
    }
  } finally {
    // A key source that throws part-way still lets the keys already started finish first.
    while (inFlight > 0) await slotFreed()
  }
  report.aborted = o.signal?.aborted === true
  report.durationMs = performance.now() - started
  return report
}

/** Thrown into a load that was queued when the run was aborted, so it never starts. */
class WarmupAbortedError extends Error {
  override readonly name = 'WarmupAbortedError'
  constructor() {
    super('The warmup was aborted before this key was loaded')
  }
}
