import type { InvalidationBus } from '../bus.js'
import { CacheGuardError, InvalidKeyError, StoreError, StoreTimeoutError } from '../errors.js'
import type { CacheStats, Operation } from '../events.js'
import type { Guard } from '../guard.js'
import type { EntryOptions } from '../options.js'
import type { Serializer } from '../serializer.js'
import type { CacheStore, StoreEntry } from '../store.js'
import type { Breaker } from './breaker.js'
import type { Emitter } from './emitter.js'
import type { HotKeys } from './hot-keys.js'
import type { Limiter } from './limiter.js'
import type { Batched } from './same-tick.js'
import { durationOption, hardTimeout, softTimeout } from './validate.js'

/** Resolved per-entry times, in milliseconds. */
export interface EntryTimes {
  ttl: number
  grace: number
  negativeTtl: number
  /** `timeout.soft`: 0 serves a stale value at once. */
  softMs: number
  /** `timeout.hard`: Infinity for none. */
  hardMs: number
}

/** The resolved `earlyRefresh` option: one of the two forms. */
export type EarlyRefresh =
  | { beta: number; threshold?: undefined }
  | { threshold: number; beta?: undefined }

/** Everything the read path and the public methods share inside one cache. */
export interface CacheContext {
  readonly namespace: string
  readonly store: CacheStore
  readonly serializer: Serializer
  readonly guards: readonly Guard[]
  /** The guards with an `admit` check, asked before every store lookup. */
  readonly admitters: readonly Guard[]
  readonly emitter: Emitter
  readonly counters: Omit<CacheStats, 'hitRate'>
  readonly defaults: EntryTimes
  readonly jitter: number
  readonly timeoutMs: number
  /** The cap on concurrent loads; `undefined` when there is none. */
  readonly limiter: Limiter | undefined
  /** `values: 'frozen'`: callers of one read share one deeply frozen value. */
  readonly frozenValues: boolean
  /** Same-tick reads as one `getMany`, when the store has one and is not local. */
  readonly batchedRead: Batched<string> | undefined
  /** Same-tick writes as one `setMany`, when the store has one and is not local. */
  readonly batchedWrite: Batched<StoreEntry> | undefined
  readonly maxKeyLength: number
  /** Counts requests per key when the `hotKeys` option is on. */
  readonly hotKeys: HotKeys | undefined
  /** Identifies this cache on the invalidation bus. */
  readonly id: string
  /** The memory tier in front of `store`, when there is one. */
  readonly l1: CacheStore | undefined
  /** Drops other processes' memory copies; only with `l1`. */
  readonly bus: InvalidationBus | undefined
  /** The circuit breaker in front of a remote `store`. */
  readonly breaker: Breaker | undefined
  /** Background refreshes before expiry, when on. */
  readonly earlyRefresh: EarlyRefresh | undefined
  /** A guard fences its loads: `set` takes a fencing token too. */
  readonly fencing: boolean
  /** Store reads in flight that will fill `l1`, by store key, so writes can outdate them. */
  readonly pendingFills: Map<string, Set<{ outdated: boolean }>>
}

/** Validates a key and applies the namespace; throws `CG_INVALID_KEY`. */
export function toStoreKey(ctx: CacheContext, key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidKeyError(
      `Expected the key to be a non-empty string, got ${key === '' ? 'an empty string' : typeof key}`,
    )
  }
  // A UTF-8 byte is at most 3 bytes per UTF-16 unit, so short keys skip the byte count.
  if (key.length * 3 > ctx.maxKeyLength) {
    const bytes = Buffer.byteLength(key, 'utf8')
    if (bytes > ctx.maxKeyLength) {
      throw new InvalidKeyError(
        `Expected the key to be at most ${ctx.maxKeyLength} bytes, got ${bytes} bytes`,
        key.slice(0, 64),
      )
    }
  }
  return ctx.namespace === '' ? key : `${ctx.namespace}:${key}`
}

/** Merges per-call options over `base` (the cache's by default), validating only what was given. */
export function entryTimes(
  ctx: CacheContext,
  options: EntryOptions | undefined,
  base: EntryTimes = ctx.defaults,
): EntryTimes {
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
  }
}

/** A random factor in [1 - jitter, 1 + jitter]. */
export function jitterFactor(ctx: CacheContext): number {
  return ctx.jitter === 0 ? 1 : 1 + ctx.jitter * (2 * Math.random() - 1)
}

/** Counts and emits an error; never throws. */
export function report(
  ctx: CacheContext,
  operation: Operation,
  key: string | undefined,
  error: CacheGuardError,
): void {
  ctx.counters.errors++
  ctx.emitter.emit('error', { key, operation, error })
}

/**
 * Runs one store call under the operation timeout, turning any failure (a throw, a rejection,
 * a timeout) into a typed `CG_STORE` or `CG_STORE_TIMEOUT` error. Written as one promise and one
 * timer, with no async layers: it sits on every cache hit.
 */
export function storeCall<T>(
  ctx: CacheContext,
  operation: string,
  key: string,
  call: () => Promise<T>,
): Promise<T> {
  let pending: Promise<T>
  try {
    pending = call()
  } catch (error) {
    return Promise.reject(storeError(operation, key, error))
  }
  // An in-process store cannot hang on a network: no timer for it.
  if (ctx.store.local === true) {
    return Promise.resolve(pending).catch((error: unknown) => {
      throw storeError(operation, key, error)
    })
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new StoreTimeoutError(operation, key, ctx.timeoutMs)),
      ctx.timeoutMs,
    )
    // A pending store call must never keep the process alive on its own.
    timer.unref()
    Promise.resolve(pending).then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(storeError(operation, key, error))
      },
    )
  })
}

/** A store's failure as a typed error: one the store typed itself (`CG_VALUE_TOO_LARGE`) keeps its code. */
export function storeError(
  operation: string,
  key: string | undefined,
  error: unknown,
): CacheGuardError {
  return error instanceof CacheGuardError ? error : new StoreError(operation, key, error)
}
