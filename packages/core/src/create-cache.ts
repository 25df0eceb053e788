import type { Duration } from './duration.js'
import { CacheClosedError, InvalidTagError } from './errors.js'
import type { CacheEventName, CacheStats, InvalidationEventKind, Listener } from './events.js'
import { createCore } from './internal/core.js'
import { getFresh, getFreshMany } from './internal/get-fresh.js'
import { expireEntry, invalidate } from './internal/invalidate.js'
import { entryList, storeKeysOf } from './internal/key-list.js'
import { noteLocally, readTime } from './internal/local-records.js'
import { readEntry } from './internal/read-entry.js'
import { readThrough } from './internal/read-through.js'
import { readThroughMany } from './internal/read-through-many.js'
import { forgetLocal, removeEntry } from './internal/remove-entry.js'
import { setValue } from './internal/set-value.js'
import { callSettings, toStoreKey } from './internal/settings.js'
import { describeValue, durationOption, numberOption, tagsOption } from './internal/validate.js'
import { serializeValue } from './internal/write-entry.js'
import type {
  CacheOptions,
  EntryOptions,
  GetOrSetManyOptions,
  Loader,
  ManyLoader,
} from './options.js'
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
   * `getOrSet` for many keys at once: resolves their values in the order of `keys` (`undefined`
   * for "not found"), reading every key in one store round trip and calling `loadMany` with only
   * the keys that are missing and not already being loaded in this process (by another call, or
   * by `getOrSet`, which joins a batch's loads too). `loadMany` resolves a `Map` or a plain object
   * keyed by key; keys it leaves out are "not found" (negative-cached), keys it adds are ignored
   * (reported by the `loadMany` event), anything else rejects its keys with `CG_BATCH_RESULT`.
   * Per key, everything `getOrSet` does: guards, grace (stale keys are served, and refreshed
   * together in the background), early refresh, timeouts, events and stats. One `loadMany` call
   * takes one `loadConcurrency` slot. An invalid key rejects the call with `CG_INVALID_KEY`,
   * naming its position, before anything is read; a duplicate key is answered at each position.
   *
   * @example
   * const users = await cache.getOrSetMany(
   *   ids.map((id) => `user:${id}`),
   *   async (keys) => new Map((await db.usersByKeys(keys)).map((u) => [`user:${u.id}`, u])),
   * )
   */
  getOrSetMany<T>(
    keys: readonly string[],
    loadMany: ManyLoader<T>,
    options?: GetOrSetManyOptions,
  ): Promise<Array<T | undefined>>
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
  /**
   * The fresh values of `keys`, in their order, as `get` answers each (`undefined` for absent,
   * stale or "not found"; a duplicate key is answered at each position), read in one batch (one
   * `MGET`, or a pipeline per node on a Cluster). An invalid key rejects the call with
   * `CG_INVALID_KEY`, naming its position, before anything is read.
   */
  getMany<T = unknown>(keys: readonly string[]): Promise<Array<T | undefined>>
  /**
   * Writes many values with the same options, as `set` does each, in one batch (one pipeline).
   * Entries are `[key, value]` pairs or a `Map`. Every key is checked and every value serialized
   * first: `CG_INVALID_KEY` (naming the position) or `CG_SERIALIZE` writes nothing. A failed
   * write rejects the call once every write has settled.
   */
  setMany(entries: Iterable<readonly [string, unknown]>, options?: EntryOptions): Promise<void>
  /**
   * Removes many keys, as `delete` does each; resolves how many were removed. Every key is
   * checked first (`CG_INVALID_KEY`, naming the position). A failed delete rejects the call once
   * every delete has settled.
   */
  deleteMany(keys: readonly string[]): Promise<number>
  /** Removes a key; resolves `true` when something was removed. Rejects with `CG_STORE` on store failure, `CG_CIRCUIT_OPEN` while the breaker is open. */
  delete(key: string): Promise<boolean>
  /**
   * Every entry that carries any of `tags` is a miss from the moment this resolves, in every
   * process that shares the store: one record per tag is written, whatever the number of
   * entries. Rejects with `CG_INVALID_TAG` (nothing written), or typed when the store fails.
   *
   * @example
   * await db.updateUser(42, changes)
   * await cache.deleteTags(['user:42'])
   */
  deleteTags(tags: readonly string[]): Promise<void>
  /**
   * Every entry that carries any of `tags` becomes stale: served within the grace it was written
   * with while one refresh runs, and kept if that refresh fails; with no grace, a miss. Rejects as
   * `deleteTags`.
   */
  expireTags(tags: readonly string[]): Promise<void>
  /**
   * The entry of `key` becomes stale now, as with `expireTags`; resolves whether there was one.
   * Rejects typed when the store fails.
   */
  expire(key: string): Promise<boolean>
  /**
   * Every entry of this cache's namespace is a miss from the moment this resolves, in every
   * process (one record written; another namespace is untouched). Needs the cache, and every
   * cache over the namespace, to be created with `clearable: true`; throws a `TypeError` otherwise.
   */
  clear(): Promise<void>
  /**
   * Releases what the cache holds (its bus subscription, its listeners); every call after it
   * rejects with `CG_CLOSED`. Work in flight finishes. Closes nothing the user owns (the store's
   * client stays open).
   */
  close(): Promise<void>
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
  const core = createCore(options)
  const { settings, state } = core
  // Another process wrote or deleted these keys: its value is in the store, ours is outdated.
  const unsubscribe = settings.bus?.subscribe((message) => {
    if (message?.origin === state.id || !Array.isArray(message.keys)) return
    for (const storeKey of message.keys) forgetLocal(core, storeKey)
    // Its invalidations: the memory copies they cover go to the store, which decides.
    for (const record of Array.isArray(message.records) ? message.records : []) {
      if (record?.namespace === settings.namespace && Number.isFinite(record.at)) {
        // Never past this process's clock: a peer's fast clock must not push the data times of
        // this process's reads into the future, where its own invalidations would not reach them.
        const at = Math.min(record.at, Date.now())
        noteLocally(state.records, record.kind, Array.isArray(record.tags) ? record.tags : [], at)
      }
    }
  })
  const closed = (operation: string, key?: unknown) =>
    Promise.reject(new CacheClosedError(operation, typeof key === 'string' ? key : undefined))
  /** Counts an invalidation that succeeded and announces it. */
  const counted = (
    kind: InvalidationEventKind,
    counter: 'deletes' | 'tagDeletes' | 'expires' | 'tagExpires' | 'clears',
    detail: { key?: string; tags?: readonly string[] },
  ) => {
    state.counters[counter]++
    state.emitter.emit('invalidate', { kind, ...detail })
  }

  const cache: Cache = {
    namespace: settings.namespace,

    getOrSet(key, loader, entryOptions) {
      try {
        if (typeof loader !== 'function') {
          throw new TypeError(`Expected \`loader\` to be a function, got ${describeValue(loader)}`)
        }
        const times = callSettings(settings, entryOptions)
        return readThrough(core, key, toStoreKey(settings, key), loader, times)
      } catch (error) {
        return Promise.reject(error)
      }
    },

    async getOrSetMany<T>(
      keys: readonly string[],
      loadMany: ManyLoader<T>,
      manyOptions?: GetOrSetManyOptions,
    ) {
      if (typeof loadMany !== 'function') {
        throw new TypeError(
          `Expected \`loadMany\` to be a function, got ${describeValue(loadMany)}`,
        )
      }
      const { maxBatch, ...entryOptions } = manyOptions ?? {}
      const batchSize =
        maxBatch === undefined
          ? Number.POSITIVE_INFINITY
          : numberOption('maxBatch', maxBatch, 1, Number.POSITIVE_INFINITY, true)
      const times = callSettings(settings, manyOptions === undefined ? undefined : entryOptions)
      const storeKeys = storeKeysOf(settings, keys)
      return (await readThroughMany(
        core,
        keys,
        storeKeys,
        loadMany as ManyLoader<unknown>,
        times,
        batchSize,
      )) as Array<T | undefined>
    },

    get<T>(key: string) {
      try {
        return getFresh(core, key, toStoreKey(settings, key)) as Promise<T | undefined>
      } catch (error) {
        return Promise.reject(error)
      }
    },

    async getMany<T>(keys: readonly string[]) {
      // Every key is checked before anything is read; the reads go out as one batch.
      const storeKeys = storeKeysOf(settings, keys)
      return (await getFreshMany(core, keys, storeKeys)) as Array<T | undefined>
    },

    async set(key, value, entryOptions) {
      // The value given now: its data time is after every invalidation this process knows of.
      const readAt = readTime(state.records)
      const storeKey = toStoreKey(settings, key)
      const times = callSettings(settings, entryOptions)
      await setValue(core, key, storeKey, serializeValue(core, key, value), times, readAt)
    },

    async setMany(entries, entryOptions) {
      const readAt = readTime(state.records)
      const list = entryList(entries)
      const storeKeys = storeKeysOf(
        settings,
        list.map(([key]) => key),
        'entries',
      )
      const times = callSettings(settings, entryOptions)
      // Every value is serialized before anything is written: one that cannot be, nothing is.
      const payloads = list.map(([key, value]) => serializeValue(core, key, value))
      const writes = await Promise.allSettled(
        list.map(([key], i) => setValue(core, key, storeKeys[i]!, payloads[i], times, readAt)),
      )
      const failed = writes.find((write) => write.status === 'rejected')
      if (failed !== undefined) throw failed.reason
    },

    async has(key, options) {
      const storeKey = toStoreKey(settings, key)
      const freshFor =
        options?.freshFor === undefined ? 0 : durationOption('freshFor', options.freshFor, 0)
      const entry = await readEntry(core, key, storeKey, options?.memory !== false)
      return entry !== undefined && Date.now() + freshFor < entry.freshUntil
    },

    delete(key) {
      try {
        return removeEntry(core, key, toStoreKey(settings, key)).then((removed) => {
          counted('delete', 'deletes', { key })
          return removed
        })
      } catch (error) {
        return Promise.reject(error)
      }
    },

    async deleteMany(keys) {
      const storeKeys = storeKeysOf(settings, keys)
      const deletes = await Promise.allSettled(
        storeKeys.map((storeKey, i) => removeEntry(core, keys[i]!, storeKey)),
      )
      let removed = 0
      for (const [i, result] of deletes.entries()) {
        if (result.status === 'rejected') continue
        counted('delete', 'deletes', { key: keys[i]! })
        if (result.value) removed++
      }
      const failed = deletes.find((result) => result.status === 'rejected')
      if (failed !== undefined) throw failed.reason
      return removed
    },

    async deleteTags(tags) {
      const valid = requiredTags(tags)
      await invalidate(core, 'delete', valid)
      counted('deleteTags', 'tagDeletes', { tags: valid })
    },

    async expireTags(tags) {
      const valid = requiredTags(tags)
      await invalidate(core, 'expire', valid)
      counted('expireTags', 'tagExpires', { tags: valid })
    },

    async expire(key) {
      const expired = await expireEntry(core, key, toStoreKey(settings, key))
      counted('expire', 'expires', { key })
      return expired
    },

    async clear() {
      if (!settings.clearable) {
        throw new TypeError(
          'clear() needs every cache over the namespace to read the clear record: createCache({ clearable: true })',
        )
      }
      await invalidate(core, 'clear', [])
      counted('clear', 'clears', {})
    },

    async close() {
      if (state.closed) return
      state.closed = true
      unsubscribe?.()
      state.emitter.clear()
      // Every call from now on rejects: the methods are replaced, so no call pays for a check.
      for (const operation of CLOSED_OPERATIONS) {
        Object.assign(cache, { [operation]: (key?: unknown) => closed(operation, key) })
      }
    },

    hotKeys(n = state.hotKeys?.size ?? 0) {
      if (state.hotKeys === undefined) {
        throw new TypeError(
          'hotKeys() needs the cache to count them: createCache({ hotKeys: 1000 })',
        )
      }
      if (!Number.isInteger(n) || n < 0) {
        throw new TypeError(`Expected \`n\` to be an integer of 0 or more, got ${describeValue(n)}`)
      }
      return state.hotKeys.top(n)
    },

    stats() {
      const { hits, misses } = state.counters
      const reads = hits + misses
      return { ...state.counters, hitRate: reads === 0 ? 0 : hits / reads }
    },

    on(event, listener) {
      return state.emitter.on(event, listener)
    },
  }
  return cache
}

/** The calls that reject with `CG_CLOSED` once the cache is closed. */
const CLOSED_OPERATIONS = [
  'getOrSet',
  'getOrSetMany',
  'get',
  'getMany',
  'set',
  'setMany',
  'deleteMany',
  'has',
  'delete',
  'deleteTags',
  'expireTags',
  'expire',
  'clear',
] as const

/** The tags of `deleteTags` or `expireTags`: at least one, each valid (`CG_INVALID_TAG`). */
function requiredTags(tags: unknown): readonly string[] {
  const valid = tagsOption(tags)
  if (valid === undefined)
    throw new InvalidTagError('Expected at least one tag, got an empty array')
  return valid
}
