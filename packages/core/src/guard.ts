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
}

/** What a guard is told after a write. */
export interface GuardWriteContext {
  readonly key: string
  readonly storeKey: string
  /** `false` when the write recorded "not found". */
  readonly found: boolean
}
