import type { InvalidationBus } from './bus.js'
import type { Duration } from './duration.js'
import type { Guard } from './guard.js'
import type { Serializer } from './serializer.js'
import type { CacheStore } from './store.js'

/** Options of `createCache`. Every field is optional. */
export interface CacheOptions {
  /** Where entries live. @default memoryStore() */
  store?: CacheStore
  /**
   * A memory tier in front of `store` (an in-process store such as `memoryStore({ maxEntries: 10_000 })`):
   * reads try it first, writes and deletes go to both, and a stale copy in it keeps serving (within
   * `grace`) while `store` is down. @default none
   */
  l1?: CacheStore
  /**
   * The longest a `l1` copy answers by itself, though still fresh: then the store is asked again
   * (and the copy kept anew). The bus delivers at most once; this bounds how long a process that
   * missed a message (a write, `delete`, `deleteTags`, `clear` elsewhere) serves an outdated copy.
   * `false`: until the copy's fresh time ends. Applies to a `memoryStore` l1. @default '1m'
   */
  l1MaxAge?: Duration | false
  /** Drops the `l1` copies of other processes when this one writes or deletes (`redisBus` over pub/sub). Needs `l1`. @default none */
  bus?: InvalidationBus
  /**
   * The circuit breaker in front of a remote `store`: after `failures` failed calls in a row it
   * opens, and for `openFor` reads are misses (served from `l1` and stale copies, or loaded under
   * `loadConcurrency`) and writes reject with `CG_CIRCUIT_OPEN`, with no wait for a timeout; then
   * one call probes the store and closes it. `false` turns it off. Not used for a local store.
   * @default { failures: 5, openFor: '5s' }
   */
  breaker?: { failures?: number; openFor?: Duration } | false
  /**
   * `clear()` works on this cache: every read also reads the namespace's clear record (in the same
   * round trip as the entry). Give it to every cache over the namespace, in every process: one
   * without it does not see a `clear()`. @default false
   */
  clearable?: boolean
  /** Prefixed to every key as `namespace:key`; caches with different namespaces never share entries or loads. @default '' (none) */
  namespace?: string
  /** How long a loaded value is fresh. @default '5m' */
  ttl?: Duration
  /** Each written TTL is multiplied by a random factor in [1 - jitter, 1 + jitter], so keys written together do not expire together. @default 0.1 */
  jitter?: number
  /** How long past its fresh time an entry may still be served stale while one refresh runs, and served if that refresh fails. @default 0 */
  grace?: Duration
  /** How long a "not found" (the loader returned `null` or `undefined`) is remembered; 0 turns negative caching off. @default '30s' */
  negativeTtl?: Duration
  /** Guards around the load path, outermost first. @default [] */
  guards?: Guard[]
  /**
   * The most loader calls running at once in this process; beyond it loads wait in a queue of
   * `loadQueue`, and beyond that callers get `CG_OVERLOADED` (a background refresh is skipped and
   * the stale value stays). What stands between a cold cache and the database. @default Infinity
   */
  loadConcurrency?: number
  /** Loads that may wait for a slot when `loadConcurrency` are running. @default 1000 */
  loadQueue?: number
  /** How long one store operation may take before it counts as failed and the cache falls back to the loader. @default '500ms' */
  storeTimeout?: Duration
  /**
   * Loader timeouts. `soft`: how long a caller holding a stale value (within `grace`) waits for the
   * refresh before it is served the stale value; the refresh goes on in the background and fills
   * the cache when it ends. `hard`: how long any load may run before its callers get
   * `CG_LOAD_TIMEOUT` and the loader's `signal` is aborted (a loader that finishes anyway still
   * fills the cache). @default { soft: 0, hard: none }
   */
  timeout?: LoadTimeouts
  /**
   * Refresh hot entries in the background before they expire, so no caller waits for the loader.
   * `{ beta }`: probabilistic early expiration (XFetch): a read refreshes when
   * `now - loadTime * beta * ln(random) >= freshUntil`, where `loadTime` is the measured duration
   * of the load that wrote the entry; `beta` 1 is the paper's optimum, larger refreshes earlier.
   * `{ threshold }`: refresh once this share of the fresh time has passed (0.8: the last 20%).
   * One refresh per key at a time in a process (across processes with `lockGuard`). @default off
   */
  earlyRefresh?: { beta: number } | { threshold: number }
  /**
   * What each caller receives. `'copy'`: its own decoded copy, free to mutate. `'frozen'`: one
   * deeply frozen value (a mutation throws), shared by the callers of one read and, for plain data
   * kept in a memory store or `l1`, by every read of the entry: it spares a decode per caller on
   * hot keys. @default 'copy'
   */
  values?: 'copy' | 'frozen'
  /**
   * Send the store reads issued in the same tick as one `getMany` (on Redis one `MGET`, on a
   * Cluster one pipeline per node) instead of one command each; the first read of a tick goes out
   * at once. Only for stores with `getMany` that are not local. @default true
   */
  batchReads?: boolean
  /**
   * Send the store writes issued in the same tick as one `setMany` (one pipeline, per node on a
   * Cluster). Only for stores with `setMany` that are not local. @default true
   */
  batchWrites?: boolean
  /**
   * Count the requests of up to this many keys (approximately, favouring recent traffic) so that
   * `cache.hotKeys(n)` can name the most requested ones, for a warmup. 0 counts nothing. @default 0
   */
  hotKeys?: number
  /** The longest key accepted, in UTF-8 bytes. @default 1024 */
  maxKeyLength?: number
  /**
   * How values are turned into strings. The default refuses what JSON would not bring back as
   * itself (class instances without `toJSON`, typed arrays, Buffer, RegExp, Error, BigInt);
   * `devalueSerializer` (`@cacheguard/core/serializers`) round-trips Date, Map, Set, BigInt,
   * `undefined`, RegExp and binary values. See docs/serializers.md. @default jsonSerializer
   */
  serializer?: Serializer
}

/** Options of one `getOrSet` or `set` call; they override the cache's. */
export interface EntryOptions {
  /** @default the cache's `ttl` */
  ttl?: Duration
  /** @default the cache's `grace` */
  grace?: Duration
  /** @default the cache's `negativeTtl` */
  negativeTtl?: Duration
  /** @default the cache's `timeout` (each of `soft` and `hard` separately) */
  timeout?: LoadTimeouts
  /**
   * This write's jitter, from 0 to 1: 0 writes exactly `ttl`, for a lifetime that must not be
   * exceeded (an HTTP response's `max-age`). @default the cache's `jitter`
   */
  jitter?: number
  /**
   * The entry's tags: `deleteTags` and `expireTags` of any of them invalidate it. At most 32
   * non-empty strings of at most 200 UTF-8 bytes each; anything else is `CG_INVALID_TAG` and
   * nothing is called or written. Given to `getOrSet`, they are also read with the entry, in the
   * same round trip. @default none
   */
  tags?: readonly string[]
}

/** Loader timeouts: see `CacheOptions.timeout`. */
export interface LoadTimeouts {
  /** @default 0 (a stale value is served at once) */
  soft?: Duration
  /** @default none */
  hard?: Duration
}

/** What a loader receives. */
export interface LoaderContext {
  /** The caller's key, without namespace. */
  readonly key: string
  /** The stale value being refreshed, when the load is a background refresh. */
  readonly stale?: unknown
  /**
   * Aborted when the load should stop: its hard timeout passed, or its lock was lost (the reason
   * says which). Pass it on to `fetch` or your database driver.
   */
  readonly signal: AbortSignal
  /** The fencing token of this load, when a lock guard took one; stored with the entry. */
  readonly fence?: number
  /**
   * Sets this entry's `ttl`, `grace` or `negativeTtl` from what was loaded, over the call's (an
   * HTTP response's `max-age`, a token's expiry). Throws a `TypeError` for a bad duration.
   */
  setOptions(options: Omit<EntryOptions, 'timeout'>): void
  /** Answers every caller of this load with its value without writing it to the cache. */
  noStore(): void
}

/** A loader: fetches the value from the source of truth. `null` or `undefined` means "does not exist". */
export type Loader<T> = (ctx: LoaderContext) => T | null | undefined | Promise<T | null | undefined>

/** What `loadMany` resolves: values by key, as a `Map` or a plain object. Keys left out are "not found". */
export type BatchResult<V> =
  | ReadonlyMap<string, V | null | undefined>
  | Record<string, V | null | undefined>

/** What a `loadMany` of `getOrSetMany` receives beside its keys. */
export interface BatchLoadContext {
  /**
   * Aborted once every key of the call has stopped waiting for it (their hard timeouts passed, or
   * their locks were lost). Pass it on to your database driver.
   */
  readonly signal: AbortSignal
  /** The stale values being refreshed, by key, for the keys of the call that are background refreshes. */
  readonly stale: ReadonlyMap<string, unknown>
}

/**
 * Loads many keys with one query: resolves their values by key. Keys it leaves out, or answers
 * `null` or `undefined`, are "not found".
 */
export type ManyLoader<T> = (
  keys: string[],
  ctx: BatchLoadContext,
) => BatchResult<T> | Promise<BatchResult<T>>

/** Options of one `getOrSetMany` call: those of `getOrSet`, for every key, and `maxBatch`. */
export interface GetOrSetManyOptions extends EntryOptions {
  /** The most keys in one `loadMany` call; more are split into several calls. @default none (one call) */
  maxBatch?: number
}
