import type { InvalidationBus } from '../bus.js'
import { InvalidKeyError } from '../errors.js'
import type { Guard } from '../guard.js'
import type { EntryOptions } from '../options.js'
import type { Serializer } from '../serializer.js'
import type { CacheStore } from '../store.js'
import { durationOption, hardTimeout, numberOption, softTimeout, tagsOption } from './validate.js'

// Settings are the resolved options of one cache: read-only once `createCache` returns. What
// changes while the cache runs (counters, flights, the load limiter) is its state
// (cache-state.ts); the breaker lives with the store calls it guards (remote-tier.ts).

/** The times of one `getOrSet` or `set` call, in milliseconds: the cache's, or the call's own. */
export interface CallSettings {
  ttl: number
  grace: number
  negativeTtl: number
  /** `timeout.soft`: 0 serves a stale value at once. */
  softMs: number
  /** `timeout.hard`: Infinity for none. */
  hardMs: number
  /** Written times are multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number
  /** The entry's tags, valid and without duplicates; `undefined` for none. */
  tags: readonly string[] | undefined
}

/** The resolved `earlyRefresh` option: one of the two forms. */
export type EarlyRefresh =
  | { beta: number; threshold?: undefined }
  | { threshold: number; beta?: undefined }

/** The resolved options of one cache. */
export interface Settings {
  readonly namespace: string
  readonly store: CacheStore
  /** The memory tier in front of `store`, when there is one. */
  readonly l1: CacheStore | undefined
  /** The longest a memory copy answers without the store being asked again; Infinity for no limit. */
  readonly l1MaxAgeMs: number
  /** Drops other processes' memory copies; only with `l1`. */
  readonly bus: InvalidationBus | undefined
  readonly serializer: Serializer
  readonly guards: readonly Guard[]
  /** The guards with an `admit` check, asked before every store lookup. */
  readonly admitters: readonly Guard[]
  /** A guard fences its loads: `set` takes a fencing token too. */
  readonly fencing: boolean
  /** The cache's call settings, for calls that give none of their own. */
  readonly defaults: CallSettings
  readonly storeTimeoutMs: number
  /** `values: 'frozen'`: callers share one deeply frozen value (per read, or per entry for plain data). */
  readonly frozenValues: boolean
  readonly maxKeyLength: number
  readonly earlyRefresh: EarlyRefresh | undefined
  /** Same-tick reads as one `getMany`: the option, and the store has one and is not local. */
  readonly batchReads: boolean
  /** Same-tick writes as one `setMany`: the option, and the store has one and is not local. */
  readonly batchWrites: boolean
  readonly loadConcurrency: number
  readonly loadQueue: number
  /** The circuit breaker of a remote store; `undefined` for a local store or `breaker: false`. */
  readonly breaker: { failures: number; openForMs: number } | undefined
  /** How many keys `hotKeys()` counts; 0 for none. */
  readonly hotKeys: number
  /** `clear()` works: every read also reads the clear record. */
  readonly clearable: boolean
}

/** Merges one call's options over `base` (the cache's by default), validating only what was given. */
export function callSettings(
  settings: Settings,
  options: EntryOptions | undefined,
  base: CallSettings = settings.defaults,
): CallSettings {
  if (options === undefined) return base
  return {
    ttl: options.ttl === undefined ? base.ttl : durationOption('ttl', options.ttl, 1),
    grace: options.grace === undefined ? base.grace : durationOption('grace', options.grace, 0),
    negativeTtl:
      options.negativeTtl === undefined
        ? base.negativeTtl
        : durationOption('negativeTtl', options.negativeTtl, 0),
    softMs: options.timeout?.soft === undefined ? base.softMs : softTimeout(options.timeout.soft),
    hardMs: options.timeout?.hard === undefined ? base.hardMs : hardTimeout(options.timeout.hard),
    jitter:
      options.jitter === undefined ? base.jitter : numberOption('jitter', options.jitter, 0, 1),
    tags: options.tags === undefined ? base.tags : tagsOption(options.tags),
  }
}

/** Validates a key and applies the namespace; throws `CG_INVALID_KEY`. */
export function toStoreKey(settings: Settings, key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidKeyError(
      `Expected the key to be a non-empty string, got ${key === '' ? 'an empty string' : typeof key}`,
    )
  }
  // A UTF-8 byte is at most 3 bytes per UTF-16 unit, so short keys skip the byte count.
  if (key.length * 3 > settings.maxKeyLength) {
    const bytes = Buffer.byteLength(key, 'utf8')
    if (bytes > settings.maxKeyLength) {
      throw new InvalidKeyError(
        `Expected the key to be at most ${settings.maxKeyLength} bytes, got ${bytes} bytes`,
        key.slice(0, 64),
      )
    }
  }
  // `__cg:` starts the store keys of the cache's own records (records.ts).
  if (key.charCodeAt(0) === 95 /* _ */ && key.startsWith(RESERVED_PREFIX)) {
    throw new InvalidKeyError(
      `Expected the key not to start with \`${RESERVED_PREFIX}\`, which cacheguard keeps for its own records`,
      key.slice(0, 64),
    )
  }
  return settings.namespace === '' ? key : `${settings.namespace}:${key}`
}

/** How the store keys of a cache's own records (tags, clear) start, after the namespace. */
export const RESERVED_PREFIX = '__cg:'

/** A random factor in [1 - jitter, 1 + jitter], for the times of one write. */
export function jitterFactor(times: CallSettings): number {
  return times.jitter === 0 ? 1 : 1 + times.jitter * (2 * Math.random() - 1)
}
