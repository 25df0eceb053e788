import type { Duration } from './duration.js'
import type { Guard } from './guard.js'
import type { Serializer } from './serializer.js'
import type { CacheStore } from './store.js'

/** Options of `createCache`. Every field is optional. */
export interface CacheOptions {
  /** Where entries live. @default memoryStore() */
  store?: CacheStore
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
  timeout?: Duration
  /**
   * What each caller receives. `'copy'`: its own decoded copy, free to mutate. `'frozen'`: the
   * callers that share one read share one deeply frozen value (a mutation throws), which spares a
   * decode per caller on hot keys. @default 'copy'
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
  /** The longest key accepted, in UTF-8 bytes. @default 1024 */
  maxKeyLength?: number
  /** How values are turned into strings. @default jsonSerializer (strict JSON) */
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
}

/** What a loader receives. */
export interface LoaderContext {
  /** The caller's key, without namespace. */
  readonly key: string
  /** The stale value being refreshed, when the load is a background refresh. */
  readonly stale?: unknown
}

/** A loader: fetches the value from the source of truth. `null` or `undefined` means "does not exist". */
export type Loader<T> = (ctx: LoaderContext) => T | null | undefined | Promise<T | null | undefined>
