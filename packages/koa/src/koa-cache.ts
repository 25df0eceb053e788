import type { Cache } from '@cacheguard/core'
import {
  type HttpCacheOptions,
  type HttpRequest,
  type HttpResponse,
  headerList,
  httpCache,
} from '@cacheguard/http'
import type { Context, Middleware } from 'koa'
import { EMPTY_STATUSES } from './internal/capture.js'
import { downstream } from './internal/downstream.js'

/**
 * Options of `koaCache`: those of `httpCache` (`@cacheguard/http`), which decides everything; the
 * middleware only translates Koa's request and response.
 */
export interface KoaCacheOptions extends HttpCacheOptions {}

/** The middleware, with the HTTP cache's `invalidate` for writes that happen outside a request. */
export interface KoaCacheMiddleware extends Middleware {
  /** Drops the cached GET of `url` (path and query, as requested), every variant included. */
  invalidate(url: string): Promise<void>
}

/**
 * Creates Koa middleware that caches the responses of the middleware after it in `cache`: one
 * handler run for concurrent identical requests, RFC 9111 storability (the handler's
 * `Cache-Control` is honoured, never rewritten), no `Set-Cookie` or private response shared,
 * `If-None-Match` answered with 304, and `Age`, `X-Cache` and `Cache-Status` on every answer.
 * The handler may set `ctx.body` to a string, Buffer, object (JSON), stream, Blob or Response.
 *
 * @param cache - a cache from `createCache()`; its store, guards and TTL jitter apply.
 * @param options - see `HttpCacheOptions`; e.g. `ttl` for responses without `max-age`.
 * @example
 * const cache = createCache({ store: redisStore(redis, { prefix: 'http:' }) })
 * const app = new Koa()
 * app.use(compress()) // before the cache: the cache keeps one identity copy
 * app.use(koaCache(cache, { ttl: '30s' }))
 * app.use((ctx) => { ctx.body = { id: 1 } })
 */
export function koaCache(cache: Cache, options: KoaCacheOptions = {}): KoaCacheMiddleware {
  const http = httpCache(cache, options)
  const middleware: Middleware = async (ctx, next) => {
    const request: HttpRequest = {
      method: ctx.method,
      // The URL as received, before any koa-mount rewrite: two mounts never share an entry.
      url: ctx.originalUrl,
      headers: ctx.req.headers,
    }
    const run = downstream(ctx, next)
    let response: HttpResponse
    try {
      response = (await http.handle(request, run.run)).response
    } finally {
      run.answered()
    }
    send(ctx, response)
  }
  return Object.assign(middleware, { invalidate: http.invalidate })
}

/**
 * Puts `response` on the request's real Koa response. Headers the upstream set stay (`Vary` is
 * merged, `Set-Cookie` appended); the body goes in as a Buffer, so Koa and any compression before
 * the cache see an ordinary body.
 */
function send(ctx: Context, response: HttpResponse): void {
  ctx.status = response.status
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined || name === 'content-type' || name === 'content-length') continue
    if (name === 'set-cookie') ctx.append('Set-Cookie', value)
    else if (name === 'vary') {
      // An RFC 9110 list may have empty elements (`Vary: , *`), which ctx.vary refuses.
      const names = headerList(value)
      if (names.length > 0) ctx.vary(names)
    } else ctx.set(name, value)
  }
  if (EMPTY_STATUSES.has(response.status)) {
    // Koa strips the body, its type and its length for these.
    ctx.body = null
    return
  }
  const type = response.headers['content-type']
  // Set before the body, or Koa would pick one (text/html, application/octet-stream).
  if (type !== undefined) ctx.set('Content-Type', type)
  const { body } = response
  ctx.body = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  if (type === undefined) ctx.remove('Content-Type')
  // A HEAD from a stored GET has no bytes but the GET's length, which Koa keeps for HEAD.
  const length = response.headers['content-length']
  if (ctx.method === 'HEAD' && length !== undefined) ctx.set('Content-Length', length)
}
