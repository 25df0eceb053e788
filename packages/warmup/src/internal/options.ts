import { type Cache, type Duration, parseDuration, withoutUndefined } from '@cacheguard/core'
import type { KeySource } from './keys.js'

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
  /** Reload keys the store still holds fresh. @default false */
  force?: boolean
  /** Also reload keys that are fresh but stop being fresh within this long (ms, or `'1m'`): refresh-ahead. @default 0 */
  freshFor?: Duration
  /** Attempts after the first failure of a key, with exponential backoff. @default 2 */
  retries?: number
  /** The first backoff (ms, or a string such as `'1s'`); doubled on each retry. @default 100 */
  retryDelay?: Duration
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

/** The defaults of `warmup`'s options. */
const WARMUP_DEFAULTS = {
  concurrency: 16,
  retries: 2,
  retryDelay: 100 as Duration,
  maxErrors: 100,
  force: false,
  freshFor: 0 as Duration,
}

/** A warmup's options with defaults applied and durations in milliseconds. */
export type ResolvedWarmupOptions<T> = Omit<WarmupOptions<T>, 'retryDelay' | 'freshFor'> &
  Omit<typeof WARMUP_DEFAULTS, 'retryDelay' | 'freshFor'> & { retryDelay: number; freshFor: number }

/**
 * Applies the defaults to a warmup's options and checks them, with messages that say what was
 * expected; durations come back in milliseconds.
 */
export function resolveWarmup<T>(
  cache: Cache,
  options: WarmupOptions<T>,
): ResolvedWarmupOptions<T> {
  const o = { ...WARMUP_DEFAULTS, ...withoutUndefined(options) }
  const resolved = {
    ...o,
    retryDelay: duration('retryDelay', o.retryDelay),
    freshFor: duration('freshFor', o.freshFor),
  }
  validateWarmup(cache, resolved)
  return resolved
}

function duration(name: string, value: unknown): number {
  const ms = parseDuration(value)
  if (ms === undefined || ms < 0) {
    throw new TypeError(
      `Expected \`${name}\` to be a duration of 0 or more (ms, or a string such as '1m'), got \`${String(value)}\` (${typeof value})`,
    )
  }
  return ms
}

function validateWarmup(cache: Cache, o: ResolvedWarmupOptions<unknown>): void {
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
  if (!Number.isInteger(o.retries) || o.retries < 0) {
    throw new TypeError(
      `Expected \`retries\` to be an integer of 0 or more, got \`${String(o.retries)}\` (${typeof o.retries})`,
    )
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
