import type { Cache } from '@cacheguard/core'
import pLimit from 'p-limit'
import { type KeySource, resolveKeys } from './internal/keys.js'
import { pacer } from './internal/pace.js'

/** Options of `warmup`. */
export interface WarmupOptions<T> {
  /** The keys to warm: an array, iterable, async iterable (a database cursor), or a function returning one. Required. */
  keys: KeySource
  /** Loads the value of one key from the source of truth. Required. */
  load: (key: string) => T | null | undefined | Promise<T | null | undefined>
  /** Loads running at once. @default 16 */
  concurrency?: number
  /** The most loads started per second. @default Infinity (no limit) */
  ratePerSecond?: number
  /** Reload keys that are still fresh (written with `set`, outside single-flight). @default false */
  force?: boolean
  /** Also reload keys that are fresh but stop being fresh within this many ms (refresh-ahead). @default 0 */
  freshFor?: number
  /** Attempts after the first failure of a key, with exponential backoff. @default 2 */
  retries?: number
  /** The first backoff in ms; doubled on each retry. @default 100 */
  retryDelay?: number
  /** How many errors the report keeps (the count is always exact). @default 100 */
  maxErrors?: number
  /** Stops starting new keys when aborted; the keys already loading finish. */
  signal?: AbortSignal
  /** Called after each key with the run's progress so far. */
  onProgress?: (progress: WarmupProgress) => void
}

/** Progress of a run so far. */
export interface WarmupProgress {
  done: number
  loaded: number
  skipped: number
  failed: number
}

/** What a run did. */
export interface WarmupReport extends WarmupProgress {
  /** Keys seen (all of them, unless the run was aborted). */
  total: number
  durationMs: number
  /** The first `maxErrors` failures, after their retries. */
  errors: Array<{ key: string; error: unknown }>
  aborted: boolean
}

const DEFAULTS = {
  concurrency: 16,
  retries: 2,
  retryDelay: 100,
  maxErrors: 100,
  force: false,
  freshFor: 0,
}

/**
 * Fills `cache` for every key of `keys` before traffic asks for them, through `getOrSet` (so
 * single-flight and guards apply and the cache's jittered TTLs spread the keys' expiry), at most
 * `concurrency` at once and `ratePerSecond` per second. Fresh keys are skipped unless `force`; a
 * key that keeps failing is reported, never stops the run.
 *
 * @example
 * const report = await warmup(cache, { keys: db.streamHotIds(), load: (key) => db.find(key), concurrency: 32 })
 * if (report.failed > 0) console.error(report.errors)
 */
export async function warmup<T>(cache: Cache, options: WarmupOptions<T>): Promise<WarmupReport> {
  const o = { ...DEFAULTS, ...withoutUndefined(options) }
  validate(cache, o)
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

  const warmOne = async (key: string): Promise<void> => {
    if (o.signal?.aborted) return
    try {
      if (!o.force && (await cache.has(key, { freshFor: o.freshFor })))
        return finish('skipped', key)
    } catch (error) {
      return finish('failed', key, error)
    }
    for (let attempt = 0; ; attempt++) {
      await pace()
      if (o.signal?.aborted) return
      try {
        if (o.force) await cache.set(key, await o.load(key))
        else await cache.getOrSet(key, () => o.load(key))
        return finish('loaded', key)
      } catch (error) {
        if (attempt >= o.retries) return finish('failed', key, error)
        await sleep(o.retryDelay * 2 ** attempt, o.signal)
      }
    }
  }

  const running = new Set<Promise<void>>()
  for await (const key of await resolveKeys(o.keys)) {
    if (o.signal?.aborted) break
    report.total++
    const task = limit(() => warmOne(key))
    running.add(task)
    task.finally(() => running.delete(task))
    // Pull keys from the source only as fast as they are warmed: a cursor over millions of ids
    // never sits in memory whole.
    if (limit.pendingCount >= o.concurrency) await Promise.race(running)
  }
  await Promise.all(running)
  report.aborted = o.signal?.aborted === true
  report.durationMs = performance.now() - started
  return report
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })
}

function validate(cache: Cache, o: typeof DEFAULTS & WarmupOptions<unknown>): void {
  if (typeof cache?.getOrSet !== 'function' || typeof cache.has !== 'function') {
    throw new TypeError('Expected `cache` to be a cache from createCache()')
  }
  if (typeof o.load !== 'function')
    throw new TypeError(`Expected \`load\` to be a function, got ${typeof o.load}`)
  const positiveInt = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 1) {
      throw new TypeError(
        `Expected \`${name}\` to be a positive integer, got \`${String(value)}\` (${typeof value})`,
      )
    }
  }
  positiveInt('concurrency', o.concurrency)
  positiveInt('maxErrors', o.maxErrors)
  for (const name of ['retries', 'retryDelay', 'freshFor'] as const) {
    const value = o[name]
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
      throw new TypeError(
        `Expected \`${name}\` to be a number of 0 or more, got \`${String(value)}\` (${typeof value})`,
      )
    }
  }
  if (
    o.ratePerSecond !== undefined &&
    !(typeof o.ratePerSecond === 'number' && o.ratePerSecond > 0)
  ) {
    throw new TypeError(
      `Expected \`ratePerSecond\` to be a positive number, got \`${String(o.ratePerSecond)}\``,
    )
  }
}

function withoutUndefined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T
}
