import type { Duration } from './duration.js'
import { type CacheGuardError, SerializeError } from './errors.js'
import type { CacheEventName, CacheStats, Listener } from './events.js'
import { entryTimes, report, toStoreKey } from './internal/context.js'
import { buildEntry, notifyWritten } from './internal/load.js'
import { type Flights, getOrSet, supersede } from './internal/read-through.js'
import { resolveOptions } from './internal/resolve-options.js'
import {
  forgetLocal,
  readEntry,
  removeEntry,
  storeWrite,
  storeWriteFenced,
  takeFence,
} from './internal/tiers.js'
import { describeValue, durationOption } from './internal/validate.js'
import { decodeStored, deepFreeze } from './internal/values.js'
import type { CacheOptions, EntryOptions, Loader } from './options.js'

/** A cache created by `createCache`. */
export interface Cache {
  /** The namespace every key is stored under (`''` for none). */
  readonly namespace: string
  /**
   * Returns the cached value for `key`, or loads it once for all concurrent callers, caches it
   * and returns it. `null` or `undefined` from the loader means "not found": it is remembered
   * for `negativeTtl` and returned as `undefined`.
   *
   * @example
   * const user = await cache.getOrSet(`user:${id}`, () => db.findUser(id))
   */
  getOrSet<T>(key: string, loader: Loader<T>, options?: EntryOptions): Promise<T | undefined>
  /**
   * Returns the fresh cached value for `key`, or `undefined` (absent, expired, "not found", or
   * the store failed: store failures are reported as `error` events, not thrown).
   */
  get<T = unknown>(key: string): Promise<T | undefined>
  /**
   * Writes a value; `null` or `undefined` records "not found" for `negativeTtl`. Rejects with
   * `CG_SERIALIZE` (nothing written), `CG_STORE` / `CG_STORE_TIMEOUT`, or `CG_CIRCUIT_OPEN` (the
   * memory tier, if any, was written).
   */
  set<T>(key: string, value: T | null | undefined, options?: EntryOptions): Promise<void>
  /**
   * Whether a fresh entry (a value, or a remembered "not found") exists for `key` and stays fresh
   * for at least `freshFor` more. Counts nothing in stats; a store failure answers `false` (and is
   * reported). Warmups use it to skip keys that need no work. `memory: false` asks the store
   * itself, past the memory tier (after a flush, memory may still hold what the store lost).
   */
  has(key: string, options?: { freshFor?: Duration; memory?: boolean }): Promise<boolean>
  /** Removes a key; resolves `true` when something was removed. Rejects with `CG_STORE` on store failure, `CG_CIRCUIT_OPEN` while the breaker is open. */
  delete(key: string): Promise<boolean>
  /**
   * The `n` most requested keys (by `getOrSet` and `get`), most requested first: an approximate,
   * recent count kept when the cache was created with `hotKeys`. Throws a `TypeError` otherwise.
   *
   * @example
   * await warmup(cache, { keys: () => cache.hotKeys(1000), load, freshFor: '1m' })
   */
  hotKeys(n?: number): string[]
  /** A snapshot of the counters since the cache was created. */
  stats(): CacheStats
  /** Subscribes to an event; returns a function that unsubscribes. Listener errors are dropped. */
  on<E extends CacheEventName>(event: E, listener: Listener<E>): () => void
}

/**
 * Creates a read-through cache over a store, with single-flight always on and the given guards
 * around the load path. Options are validated here: a bad one throws a `TypeError`.
 *
 * @example
 * const cache = createCache({ store: redisStore(redis), ttl: '5m', grace: '1h' })
 * const user = await cache.getOrSet(`user:${id}`, () => db.findUser(id))
 */
export function createCache(options: CacheOptions = {}): Cache {
  const ctx = resolveOptions(options)
  const flights: Flights = { reads: new Map(), refreshes: new Map(), loads: new Map() }
  // Another process wrote or deleted these keys: its value is in the store, ours is outdated.
  ctx.bus?.subscribe((message) => {
    if (message?.origin === ctx.id || !Array.isArray(message.keys)) return
    for (const storeKey of message.keys) {
      supersede(flights, storeKey)
      void forgetLocal(ctx, storeKey)
    }
  })

  return {
    namespace: ctx.namespace,

    getOrSet(key, loader, entryOptions) {
      try {
        if (typeof loader !== 'function') {
          throw new TypeError(`Expected \`loader\` to be a function, got ${describeValue(loader)}`)
        }
        return getOrSet(ctx, flights, key, loader, entryTimes(ctx, entryOptions))
      } catch (error) {
        return Promise.reject(error)
      }
    },

    async get<T>(key: string) {
      const storeKey = toStoreKey(ctx, key)
      ctx.hotKeys?.record(key)
      const entry = await readEntry(ctx, key, storeKey)
      if (entry === undefined || Date.now() >= entry.freshUntil) {
        ctx.counters.misses++
        return undefined
      }
      const decoded = decodeStored(ctx, key, entry.payload)
      if (!decoded.ok) {
        ctx.counters.misses++
        return undefined
      }
      ctx.counters.hits++
      if (ctx.frozenValues) deepFreeze(decoded.value)
      return decoded.value as T | undefined
    },

    async set(key, value, entryOptions) {
      const storeKey = toStoreKey(ctx, key)
      const times = entryTimes(ctx, entryOptions)
      let payload: string | undefined
      if (value !== null && value !== undefined) {
        try {
          payload = ctx.serializer.serialize(value)
        } catch (error) {
          throw new SerializeError(key, error)
        }
      }
      supersede(flights, storeKey)
      let removing = false
      try {
        // With a fencing guard, a set takes a token too: a load still running elsewhere, holding
        // an older one, cannot overwrite it.
        const fence = ctx.fencing ? await takeFence(ctx, key, storeKey) : undefined
        const entry = buildEntry(ctx, payload, times, { loadMs: 0, fence })
        if (entry === undefined) {
          removing = true
          await removeEntry(ctx, key, storeKey)
          return
        }
        if (fence === undefined) await storeWrite(ctx, key, storeKey, entry)
        else if (!(await storeWriteFenced(ctx, key, storeKey, entry, fence))) return
      } catch (error) {
        // removeEntry has reported its own failure.
        if (!removing) report(ctx, 'write', key, error as CacheGuardError)
        throw error
      }
      await notifyWritten(ctx, key, storeKey, payload !== undefined)
    },

    async has(key, options) {
      const storeKey = toStoreKey(ctx, key)
      const freshFor =
        options?.freshFor === undefined ? 0 : durationOption('freshFor', options.freshFor, 0)
      const entry = await readEntry(ctx, key, storeKey, options?.memory !== false)
      return entry !== undefined && Date.now() + freshFor < entry.freshUntil
    },

    async delete(key) {
      const storeKey = toStoreKey(ctx, key)
      supersede(flights, storeKey)
      return removeEntry(ctx, key, storeKey)
    },

    hotKeys(n = ctx.hotKeys?.size ?? 0) {
      if (ctx.hotKeys === undefined) {
        throw new TypeError(
          'hotKeys() needs the cache to count them: createCache({ hotKeys: 1000 })',
        )
      }
      if (!Number.isInteger(n) || n < 0) {
        throw new TypeError(`Expected \`n\` to be an integer of 0 or more, got ${describeValue(n)}`)
      }
      return ctx.hotKeys.top(n)
    },

    stats() {
      const { hits, misses } = ctx.counters
      const reads = hits + misses
      return { ...ctx.counters, hitRate: reads === 0 ? 0 : hits / reads }
    },

    on(event, listener) {
      return ctx.emitter.on(event, listener)
    },
  }
}
