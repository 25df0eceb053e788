import type { Cache } from '@cacheguard/core'
import { type HttpCacheOptions, httpCache, type Validators } from '@cacheguard/http'
import { handlerRequest, toHttpRequest } from './internal/request.js'
import { fromResponse, toResponse } from './internal/response.js'

/** Options of `fetchCache`: those of `httpCache` (`@cacheguard/http`), nothing of its own. */
export type FetchCacheOptions = HttpCacheOptions

/** A web-standard handler: a `Request` (and whatever the runtime passes beside it) to a `Response`. */
export type FetchHandler<A extends unknown[] = []> = (
  request: Request,
  ...rest: A
) => Response | Promise<Response>

/** The handler `fetchCache` returns: the same shape, and `invalidate`. */
export interface CachedFetchHandler<A extends unknown[] = []> {
  (request: Request, ...rest: A): Promise<Response>
  /** Drops the cached GET of `url` (path and query), every variant included. */
  invalidate(url: string): Promise<void>
}

/**
 * Wraps a web-standard `Request` -> `Response` handler (a Hono app's `fetch`, a Next.js route
 * handler, a Bun or Deno server) with the HTTP cache of `@cacheguard/http`: concurrent identical
 * requests run it once (once per fleet with `lockGuard`), responses are stored as the handler's
 * `Cache-Control` allows, and `X-Cache`, `Cache-Status` and `Age` are set. The body is read to
 * its end and stored as bytes (up to `maxBodyBytes`; larger ones are sent, not stored). A handler
 * that throws rejects this call with its error, and nothing is stored. The key is the method, the
 * path and query, and the declared headers: never the host.
 *
 * @param cache - a cache from `createCache`, created once (at module scope).
 * @param handler - the handler to cache; the arguments after the request are passed through.
 * @param options - the options of `httpCache`.
 *
 * @example
 * const cache = createCache({ store: redisStore(redis, { prefix: 'http:' }) })
 * export const GET = fetchCache(cache, async (request: Request) =>
 *   Response.json(await db.products(), { headers: { 'cache-control': 'max-age=60' } }),
 * )
 */
export function fetchCache<A extends unknown[] = []>(
  cache: Cache,
  handler: FetchHandler<A>,
  options: FetchCacheOptions = {},
): CachedFetchHandler<A> {
  if (typeof handler !== 'function') {
    throw new TypeError(
      `Expected \`handler\` to be a function of a Request, got \`${String(handler)}\` (${typeof handler})`,
    )
  }
  const http = httpCache(cache, options)
  const cached = async (request: Request, ...rest: A): Promise<Response> => {
    if (!(request instanceof Request)) {
      throw new TypeError(`Expected a Request, got ${request === null ? 'null' : typeof request}`)
    }
    const seen = toHttpRequest(request)
    const run = async (validators?: Validators) =>
      fromResponse(await handler(handlerRequest(request, seen, validators), ...rest))
    const { response } = await http.handle(seen, run)
    return toResponse(response, seen.method.toUpperCase() === 'HEAD')
  }
  return Object.assign(cached, { invalidate: (url: string) => http.invalidate(url) })
}
