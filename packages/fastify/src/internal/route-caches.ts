import type { Cache } from '@cacheguard/core'
import { type HttpCache, type HttpCacheOptions, httpCache } from '@cacheguard/http'

/** The HTTP cache each route answers from: the plugin's, a route's own, or none. */
export interface RouteCaches {
  /** The plugin's HTTP cache (its options, no route's). */
  readonly base: HttpCache
  /**
   * The HTTP cache of a route whose `config.cache` is `setting`, or `undefined` when the route is
   * not cached; `where` names the route in the error bad options throw.
   */
  of(setting: unknown, where: string): HttpCache | undefined
}

/**
 * The plugin's HTTP cache, and one per route that gives options of its own in `config.cache`
 * (created once per options object, over the plugin's options): every route shares the cache and
 * its single-flight, and differs only in what it stores.
 */
export function routeCaches(cache: Cache, options: HttpCacheOptions, global: boolean): RouteCaches {
  const base = httpCache(cache, options)
  const own = new WeakMap<object, HttpCache>()
  return {
    base,
    of(setting, where) {
      if (setting === undefined) return global ? base : undefined
      if (setting === true) return base
      if (setting === false) return undefined
      if (typeof setting !== 'object' || setting === null || Array.isArray(setting)) {
        throw new TypeError(
          `Expected \`config.cache\` of ${where} to be a boolean or options of the HTTP cache, got ${String(setting)} (${typeof setting})`,
        )
      }
      let http = own.get(setting)
      if (http === undefined) {
        try {
          http = httpCache(cache, { ...options, ...setting })
        } catch (error) {
          throw new TypeError(`In \`config.cache\` of ${where}: ${(error as Error).message}`)
        }
        own.set(setting, http)
      }
      return http
    },
  }
}
