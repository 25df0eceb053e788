import type { CacheStore } from './store.js'

/**
 * A guard wraps the load path of `getOrSet`: it runs on a miss, after single-flight, around the
 * loader. Guards compose outermost first, like middleware.
 *
 * @example
 * const logLoads: Guard = {
 *   name: 'log',
 *   async load(ctx, next) {
 *     console.log('loading', ctx.key)
 *     return next()
 *   },
 * }
 */
export interface Guard {
  /** A short name, used in events and stats. */
  readonly name: string
  /**
   * Runs around the loader. Call `next()` to go on towards the loader, or return
   * `ctx.block()` to answer "not found" without loading (counted as `blocked`).
   */
  load?(ctx: GuardContext, next: () => Promise<unknown>): Promise<unknown>
  /**
   * Runs before the store lookup, on every read: return `false` to answer "not found" at once,
   * without a store round trip (counted as `blocked`). Every hit pays for this check, so it must
   * be synchronous and cheap, such as a lookup in process memory.
   */
  admit?(key: string): boolean
  /** Told after a value was written for a key, by a load or by `set`. Errors are reported, not thrown. */
  written?(ctx: GuardWriteContext): void | Promise<void>
  /**
   * `true` for a guard that fences its loads (`ctx.fence()`): the cache's own `set` then takes a
   * fencing token too, so that a load still running in another process cannot overwrite it.
   */
  readonly fencing?: boolean
}

/** An entry another process wrote while this load waited, from `GuardContext.reread`. Opaque. */
export interface StoredEntry {
  readonly freshUntil: number
}

/** What a guard sees about the load it wraps. */
export interface GuardContext {
  /** The caller's key, without namespace. */
  readonly key: string
  /** The key as written to the store (namespace applied). */
  readonly storeKey: string
  /** The cache's store, for guards that re-read it (a lock guard after taking its lock). */
  readonly store: CacheStore
  /** Ends the load as "not found" without calling the loader; counted as `blocked` in stats. */
  block(reason?: string): unknown
  /** Reports an error the guard handled itself (it failed open, say) as an `error` event. */
  report(error: unknown): void
  /**
   * `true` for a background refresh: a stale or early-refreshed value is already being served, so
   * a guard should not make it wait (a lock guard that finds the lock taken calls `skip()`).
   */
  readonly refresh: boolean
  /** Aborted when the load must stop: its hard timeout passed, or a guard called `abort`. The loader sees it. */
  readonly signal: AbortSignal
  /** Aborts the loader's `signal` with `reason` (a lock guard whose lock was lost). */
  abort(reason: unknown): void
  /**
   * Takes a fencing token from the store for this load: the loader sees it as `ctx.fence`, the
   * entry is written with it, and the store refuses the write if it already holds an entry with a
   * greater one. Resolves `undefined` when the store cannot fence; rejects `CG_STORE` when it fails.
   */
  fence(): Promise<number | undefined>
  /**
   * Reads the store again, past the memory tier: resolves an entry when the store now holds a
   * fresh one other than the entry this load replaces (another process loaded it). Return it from
   * `load` to answer with it, without loading or writing. Store failures resolve `undefined`.
   */
  reread(): Promise<StoredEntry | undefined>
  /** Ends a background refresh without loading or writing: the stale entry stays. Throws on a miss. */
  skip(): unknown
}

/** What a guard is told after a write. */
export interface GuardWriteContext {
  readonly key: string
  readonly storeKey: string
  /** `false` when the write recorded "not found". */
  readonly found: boolean
}
