import { type CacheGuardError, InvalidKeyError, StoreError, StoreTimeoutError } from '../errors.js'
import type { CacheStats, Operation } from '../events.js'
import type { Guard } from '../guard.js'
import type { EntryOptions } from '../options.js'
import type { Serializer } from '../serializer.js'
import type { CacheStore, StoreEntry } from '../store.js'
import type { Emitter } from './emitter.js'
import type { Limiter } from './limiter.js'
import type { Batched } from './same-tick.js'
import { durationOption } from './validate.js'

/** Resolved per-entry times, in milliseconds. */
export interface EntryTimes {
  ttl: number
  grace: number
  negativeTtl: number
}

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

/** Merges per-call options over the cache's, validating only what was given. */
export function entryTimes(ctx: CacheContext, options: EntryOptions | undefined): EntryTimes {
  if (options === undefined) return ctx.defaults
  return {
    ttl: options.ttl === undefined ? ctx.defaults.ttl : durationOption('ttl', options.ttl, 1),
    grace:
      options.grace === undefined ? ctx.defaults.grace : durationOption('grace', options.grace, 0),
    negativeTtl:
      options.negativeTtl === undefined
        ? ctx.defaults.negativeTtl
        : durationOption('negativeTtl', options.negativeTtl, 0),
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
    return Promise.reject(new StoreError(operation, key, error))
  }
  // An in-process store cannot hang on a network: no timer for it.
  if (ctx.store.local === true) {
    return Promise.resolve(pending).catch((error: unknown) => {
      throw new StoreError(operation, key, error)
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
        reject(new StoreError(operation, key, error))
      },
    )
  })
}

/** Writes one encoded entry: through the same-tick batcher when there is one. Rejects typed. */
export function storeWrite(
  ctx: CacheContext,
  key: string,
  storeKey: string,
  entry: { value: string; ttlMs: number },
): Promise<unknown> {
  if (ctx.batchedWrite) {
    return ctx.batchedWrite({ key: storeKey, value: entry.value, ttlMs: entry.ttlMs }, key)
  }
  return storeCall(ctx, 'write', key, () => ctx.store.set(storeKey, entry.value, entry.ttlMs))
}
