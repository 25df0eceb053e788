import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http'
import type { Cache } from '@cacheguard/core'
import {
  type HttpCacheOptions,
  type HttpRequest,
  type HttpResponse,
  type HttpResult,
  handlerHeaders,
  hasContentLength,
  httpCache,
  type Validators,
} from '@cacheguard/http'
import { type Capture, captureResponse, type Out } from './internal/capture.js'

/** Options of `expressCache`: those of `httpCache` (`@cacheguard/http`), nothing Express-specific. */
export type ExpressCacheOptions = HttpCacheOptions

/** The middleware `expressCache` returns, typed on Node's request and response so it needs no `@types/express`. */
export interface ExpressCache {
  (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void
  /** Drops the cached GET of `url` (path and query, as the client sends it), every variant included. */
  invalidate(url: string): Promise<void>
}

/**
 * Express middleware that answers requests from the HTTP cache of `@cacheguard/http`, and runs
 * the rest of the chain (the route's handler) only on a miss: once for concurrent identical
 * requests, and once per fleet with `lockGuard` in the cache's guards. What the handler writes
 * (`res.send`, `res.json`, `res.write`, a piped stream, ...) is buffered, handed to the cache,
 * and sent from there with `X-Cache`, `Cache-Status` and `Age`. Works on Express 5 and 4.
 *
 * @param cache a cache from `createCache`, which holds the responses
 * @param options the HTTP cache's options (`ttl`, `statuses`, `varyBy`, `handlerTimeout`, ...)
 * @example
 * const cache = createCache({ store: redisStore(redis, { prefix: 'http:' }) })
 * app.get('/users/:id', expressCache(cache, { ttl: '30s' }), async (req, res) => {
 *   res.json(await db.findUser(req.params.id))
 * })
 */
export function expressCache(cache: Cache, options: ExpressCacheOptions = {}): ExpressCache {
  const http = httpCache(cache, options)
  const middleware = (
    req: IncomingMessage,
    res: ServerResponse,
    next: (error?: unknown) => void,
  ) => {
    // Nothing in respond() is expected to throw; if it does, Express's error handling has it.
    respond(http, req, res, next).catch(next)
  }
  return Object.assign(middleware, { invalidate: (url: string) => http.invalidate(url) })
}

async function respond(
  http: ReturnType<typeof httpCache>,
  req: IncomingMessage & { originalUrl?: string },
  res: ServerResponse,
  next: (error?: unknown) => void,
): Promise<void> {
  const request: HttpRequest = {
    method: req.method ?? 'GET',
    // The URL before any mount point stripped its prefix: two mounts never share a key.
    url: req.originalUrl ?? req.url ?? '/',
    headers: req.headers,
  }
  const entry = { status: res.statusCode, headers: res.getHeaders() }
  let capture: Capture | undefined
  let handler: Promise<HttpResponse> | undefined
  let handedOver = false
  const run = (validators?: Validators): Promise<HttpResponse> => {
    if (handedOver) return Promise.resolve(unavailable())
    if (handler === undefined) {
      // `run` resolves a complete response, which any request for the URL may share: Express's
      // res.send must not turn it into a 304 (or 412) for this client's validators, and may for
      // the cache's own (a revalidation): the rule is @cacheguard/http's.
      req.headers = handlerHeaders(request, validators) as IncomingHttpHeaders
      capture = captureResponse(res, entry)
      handler = capture.response
      // The rest of the chain: the route's handler, or Express's error handling when it calls
      // next(err); whichever ends the response resolves `handler`.
      next()
    }
    return handler
  }
  let result: HttpResult
  try {
    result = await http.handle(request, run)
  } catch {
    // The HTTP cache promises not to fail for a cache failure; should it fail anyway, the
    // request is the application's, uncached.
    if (handler === undefined) {
      handedOver = true
      next()
      return
    }
    result = { status: 'BYPASS', response: await handler, ran: true }
  }
  send(res, request.method.toUpperCase() === 'HEAD', result, capture)
}

/** Sends the cache's answer through the response's original methods (and middleware before this one). */
function send(res: ServerResponse, head: boolean, result: HttpResult, capture?: Capture): void {
  const { status, headers, body } = result.response
  const write = (out: Out) => {
    if (res.headersSent || res.destroyed) return
    const own = result.ran ? capture : undefined
    for (const name in headers) {
      const value = headers[name]
      if (value !== undefined) out.setHeader(name, value)
    }
    // Headers set before this middleware that the handler removed stay removed.
    if (own) for (const name of own.removed) if (headers[name] === undefined) out.removeHeader(name)
    // The body is complete: its length is known, whether the handler streamed it or not (RFC
    // 9110 §8.6: not on a HEAD, whose length is the GET's, nor on 1xx, 204 and 304).
    const framed = headers['content-length'] ?? headers['transfer-encoding']
    if (framed === undefined && !head && hasContentLength(status)) {
      out.setHeader('content-length', String(body.byteLength))
    }
    out.writeHead(status, own?.statusMessage ?? STATUS_CODES[status] ?? 'unknown')
    if (head || body.byteLength === 0) out.end()
    else out.end(body)
  }
  try {
    if (capture) capture.sendWith(write)
    else write(res)
  } catch {
    // A header Node refuses (the capture validates them, so only from elsewhere): no half answer.
    res.destroy()
  }
}

function unavailable(): HttpResponse {
  return { status: 503, headers: { 'content-length': '0' }, body: new Uint8Array(0) }
}
