import type { Cache } from '@cacheguard/core'
import { toHttpRequest, toResponse } from '@cacheguard/fetch'
import { type HttpCacheOptions, httpCache } from '@cacheguard/http'
import type { Context, MiddlewareHandler } from 'hono'
import { downstream } from './internal/downstream.js'

/** Options of `honoCache`: those of `httpCache` (`@cacheguard/http`), nothing Hono-specific. */
export type HonoCacheOptions = HttpCacheOptions

/** The middleware `honoCache` returns, with `invalidate`. */
export type HonoCacheMiddleware = MiddlewareHandler & {
  /** Drops the cached GET of `url` (path and query), every variant included. */
  invalidate(url: string): Promise<void>
}

/**
 * Hono middleware that answers requests from the HTTP cache of `@cacheguard/http`, and runs the
 * rest of the chain (the route's handler) only on a miss: once for concurrent identical
 * requests, and once per fleet with `lockGuard` on the cache. Whatever the handler answers with
 * (`c.text`, `c.json`, `c.body`, a stream) is read to its end, handed to the cache, and sent from
 * there with `X-Cache`, `Cache-Status` and `Age`. A handler that throws reaches Hono's error
 * handler as usual, and its answer is never stored. Headers that middleware before this one set
 * (CORS, say) are on every answer, hits included. Uses only `Request` and `Response` (and
 * `node:async_hooks`' AsyncLocalStorage, which Node, Bun, Deno and Cloudflare Workers with
 * `nodejs_compat` provide).
 *
 * @param cache - a cache from `createCache`, created once.
 * @param options - the options of `httpCache` (`ttl`, `varyBy`, `handlerTimeout`, ...).
 *
 * @example
 * const cache = createCache({ store: redisStore(redis, { prefix: 'http:' }) })
 * app.get('/products/:id', honoCache(cache, { ttl: '30s' }), async (c) =>
 *   c.json(await db.findProduct(c.req.param('id'))),
 * )
 */
export function honoCache(cache: Cache, options: HonoCacheOptions = {}): HonoCacheMiddleware {
  const http = httpCache(cache, options)
  const middleware: MiddlewareHandler = async (c, next) => {
    const seen = toHttpRequest(c.req.raw)
    const flow = downstream(c, next, seen)
    const result = await http.handle(seen, flow.run)
    const answer = toResponse(result.response, seen.method.toUpperCase() === 'HEAD')
    // The handler's own answer, made from its response (which has the upstream headers already).
    if (result.ran) return replace(c, answer)
    withUpstream(answer, flow.upstream())
    if (flow.pending) flow.detach(answer)
    else replace(c, answer)
  }
  return Object.assign(middleware, { invalidate: (url: string) => http.invalidate(url) })
}

/**
 * Puts `answer` in place of `c.res`. Hono copies the headers of the response it replaces into the
 * new one; cleared first, it copies none, so what the cache removed (its targeted
 * `CacheGuard-Cache-Control`, `Cache-Tag`) stays removed.
 */
function replace(c: Context, answer: Response): void {
  c.res = undefined
  c.res = answer
}

/** Adds the headers middleware before the cache set, as Hono adds them to a handler's answer. */
function withUpstream(answer: Response, upstream: Headers): void {
  for (const [name, value] of upstream) {
    if (name === 'content-type' || answer.headers.has(name)) continue
    if (name === 'set-cookie')
      for (const cookie of upstream.getSetCookie()) answer.headers.append(name, cookie)
    else answer.headers.set(name, value)
  }
}
