import type { Cache } from '@cacheguard/core'
import { type HttpCache, httpCache } from './http-cache.js'
import type { HttpCacheOptions } from './types.js'

/** The HTTP cache each route answers from: the app's, a route's own, or none. */
export interface RouteCaches {
  /** The app's HTTP cache (its options, no route's). */
  readonly base: HttpCache
  /**
   * The HTTP cache of a route whose setting is `setting` (`undefined`: none given; `true`: the
   * app's; `false`: not cached; options: its own), or `undefined` when the route is not cached.
   * `where` names the setting in the error bad options throw: "`config.cache` of GET /x" (called
   * only then).
   */
  of(setting: unknown, where: () => string): HttpCache | undefined
}

/**
 * For adapters whose routes each say how they are cached (Fastify's route `config`, a NestJS
 * decorator): the app's HTTP cache, and one per route that gives options of its own (created once
 * per options object, over the app's options). Every route shares the cache and its
 * single-flight, and differs only in what it stores.
 *
 * @param global - whether a route that says nothing is cached.
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
          `Expected ${where()} to be a boolean or options of the HTTP cache, got ${String(setting)} (${typeof setting})`,
        )
      }
      let http = own.get(setting)
      if (http === undefined) {
        try {
          http = httpCache(cache, { ...options, ...setting })
        } catch (error) {
          throw new TypeError(`In ${where()}: ${(error as Error).message}`)
        }
        own.set(setting, http)
      }
      return http
    },
  }
}
