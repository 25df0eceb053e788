import type { Duration } from './duration.js'
import { type CacheGuardError, SerializeError } from './errors.js'
import type { CacheEventName, CacheStats, Listener } from './events.js'
import type { Guard } from './guard.js'
import {
  type CacheContext,
  entryTimes,
  report,
  storeCall,
  storeWrite,
  toStoreKey,
} from './internal/context.js'
import { Emitter } from './internal/emitter.js'
import { createLimiter } from './internal/limiter.js'
import { buildEntry, notifyWritten } from './internal/load.js'
import {
  decodeStored,
  deepFreeze,
  type Flights,
  getOrSet,
  readEntry,
  supersede,
} from './internal/read-through.js'
import { createReadBatcher, createWriteBatcher } from './internal/same-tick.js'
import { describeValue, durationOption, numberOption } from './internal/validate.js'
import { memoryStore } from './memory-store.js'
import type { CacheOptions, EntryOptions, Loader } from './options.js'
import { jsonSerializer } from './serializer.js'

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
   * `CG_SERIALIZE` (nothing written) or `CG_STORE` / `CG_STORE_TIMEOUT`.
   */
  set<T>(key: string, value: T | null | undefined, options?: EntryOptions): Promise<void>
  /**
   * Whether a fresh entry (a value, or a remembered "not found") exists for `key` and stays fresh
   * for at least `freshFor` more. Counts nothing in stats; a store failure answers `false` (and is
   * reported). Warmups use it to skip keys that need no work.
   */
  has(key: string, options?: { freshFor?: Duration }): Promise<boolean>
  /** Removes a key; resolves `true` when something was removed. Rejects with `CG_STORE` on store failure. */
  delete(key: string): Promise<boolean>
  /** A snapshot of the counters since the cache was created. */
  stats(): CacheStats
  /** Subscribes to an event; returns a function that unsubscribes. Listener errors are dropped. */
  on<E extends CacheEventName>(event: E, listener: Listener<E>): () => void
}

const DEFAULTS = {
  namespace: '',
  ttl: '5m',
  jitter: 0.1,
  grace: 0,
  negativeTtl: '30s',
  guards: [] as Guard[],
  timeout: '500ms',
  maxKeyLength: 1024,
  serializer: jsonSerializer,
  batchReads: true,
  batchWrites: true,
  loadConcurrency: Number.POSITIVE_INFINITY,
  loadQueue: 1000,
  values: 'copy',
} satisfies CacheOptions

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
  const flights: Flights = { reads: new Map(), refreshes: new Map() }

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
      const entry = buildEntry(ctx, payload, times)
      if (entry === undefined) {
        await removeKey(ctx, key, storeKey)
        return
      }
      try {
        await storeWrite(ctx, key, storeKey, entry)
      } catch (error) {
        report(ctx, 'write', key, error as CacheGuardError)
        throw error
      }
      await notifyWritten(ctx, key, storeKey, payload !== undefined)
    },

    async has(key, options) {
      const storeKey = toStoreKey(ctx, key)
      const freshFor =
        options?.freshFor === undefined ? 0 : durationOption('freshFor', options.freshFor, 0)
      const entry = await readEntry(ctx, key, storeKey)
      return entry !== undefined && Date.now() + freshFor < entry.freshUntil
    },

    async delete(key) {
      const storeKey = toStoreKey(ctx, key)
      supersede(flights, storeKey)
      return removeKey(ctx, key, storeKey)
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

async function removeKey(ctx: CacheContext, key: string, storeKey: string): Promise<boolean> {
  try {
    return await storeCall(ctx, 'delete', key, () => ctx.store.delete(storeKey))
  } catch (error) {
    report(ctx, 'delete', key, error as CacheGuardError)
    throw error
  }
}

function resolveOptions(options: CacheOptions): CacheContext {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected the options to be an object, got ${describeValue(options)}`)
  }
  const o = { ...DEFAULTS, ...withoutUndefined(options) }
  if (typeof o.namespace !== 'string' || o.namespace.includes('\n')) {
    throw new TypeError(`Expected \`namespace\` to be a string, got ${describeValue(o.namespace)}`)
  }
  if (!Array.isArray(o.guards) || o.guards.some((g) => typeof g !== 'object' || g === null)) {
    throw new TypeError(
      `Expected \`guards\` to be an array of guards, got ${describeValue(o.guards)}`,
    )
  }
  const serializer = o.serializer
  if (typeof serializer?.serialize !== 'function' || typeof serializer.deserialize !== 'function') {
    throw new TypeError('Expected `serializer` to have `serialize` and `deserialize` functions')
  }
  const store = options.store ?? memoryStore()
  if (
    typeof store?.get !== 'function' ||
    typeof store.set !== 'function' ||
    typeof store.delete !== 'function'
  ) {
    throw new TypeError(
      'Expected `store` to be a CacheStore with `get`, `set` and `delete` methods',
    )
  }
  if (typeof o.batchReads !== 'boolean') {
    throw new TypeError(
      `Expected \`batchReads\` to be a boolean, got ${describeValue(o.batchReads)}`,
    )
  }
  if (o.values !== 'copy' && o.values !== 'frozen') {
    throw new TypeError(
      `Expected \`values\` to be 'copy' or 'frozen', got ${describeValue(o.values)}`,
    )
  }
  const timeoutMs = durationOption('timeout', o.timeout, 1)
  if (typeof o.batchWrites !== 'boolean') {
    throw new TypeError(
      `Expected \`batchWrites\` to be a boolean, got ${describeValue(o.batchWrites)}`,
    )
  }
  const loadConcurrency = numberOption(
    'loadConcurrency',
    o.loadConcurrency,
    1,
    Number.POSITIVE_INFINITY,
  )
  if (Number.isFinite(loadConcurrency) && !Number.isInteger(loadConcurrency)) {
    throw new TypeError(
      `Expected \`loadConcurrency\` to be an integer or Infinity, got ${describeValue(loadConcurrency)}`,
    )
  }
  const loadQueue = numberOption('loadQueue', o.loadQueue, 0, Number.POSITIVE_INFINITY)
  const limiter = Number.isFinite(loadConcurrency)
    ? createLimiter(loadConcurrency, loadQueue)
    : undefined
  const remote = store.local !== true
  const batchedRead =
    o.batchReads && remote && typeof store.getMany === 'function'
      ? createReadBatcher(store, timeoutMs)
      : undefined
  const batchedWrite =
    o.batchWrites && remote && typeof store.setMany === 'function'
      ? createWriteBatcher(store, timeoutMs)
      : undefined
  return {
    namespace: o.namespace,
    store,
    batchedRead,
    batchedWrite,
    limiter,
    frozenValues: o.values === 'frozen',
    serializer,
    guards: [...o.guards],
    admitters: o.guards.filter((guard) => typeof guard.admit === 'function'),
    emitter: new Emitter(),
    counters: {
      hits: 0,
      misses: 0,
      staleHits: 0,
      loads: 0,
      coalesced: 0,
      blocked: 0,
      overloaded: 0,
      corrupt: 0,
      errors: 0,
    },
    defaults: {
      ttl: durationOption('ttl', o.ttl, 1),
      grace: durationOption('grace', o.grace, 0),
      negativeTtl: durationOption('negativeTtl', o.negativeTtl, 0),
    },
    jitter: numberOption('jitter', o.jitter, 0, 1),
    timeoutMs,
    maxKeyLength: numberOption('maxKeyLength', o.maxKeyLength, 1, Number.POSITIVE_INFINITY, true),
  }
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  const result: Partial<T> = {}
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) (result as Record<string, unknown>)[name] = value
  }
  return result
}
