import type { Duration } from '@cacheguard/core'

/** A request as the HTTP cache sees it; adapters build it from their framework's request. */
export interface HttpRequest {
  /** The method, any case. */
  method: string
  /** The path and query as received: `/users/1?b=2&a=1`. */
  url: string
  /** The request headers, names lower-cased. */
  headers: Record<string, string | string[] | undefined>
}

/** A complete response: status, headers (names lower-cased) and the body's bytes. */
export interface HttpResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Uint8Array
}

/** How a request was answered, as sent in `X-Cache`. */
export type CacheStatus = 'HIT' | 'MISS' | 'STALE' | 'BYPASS'

/** What `HttpCache.handle` decided: the response to send, and whether this request's handler produced it. */
export interface HttpResult {
  status: CacheStatus
  /** The response to send, `X-Cache`, `Cache-Status` and (from the cache) `Age` set. */
  response: HttpResponse
  /** `true` when this request's own handler ran (and produced `response`). */
  ran: boolean
}

/**
 * Runs the application's handler for this request and resolves with its complete response,
 * without sending it: the adapter sends `HttpResult.response`. The handler may run in the
 * background (a stale-while-revalidate refresh) while a stored response answers the request.
 * It should answer the request as if unconditional: a 304 or 412 to one client's validators is
 * never stored nor shared, so an adapter whose framework answers validators by itself (Express's
 * `res.send`) hides them from the handler on GET and HEAD, and the cache answers them instead.
 */
export type RunHandler = () => Promise<HttpResponse>

/** Options of `httpCache`. */
export interface HttpCacheOptions {
  /** How long a response without `max-age` or `s-maxage` is fresh. @default '1m' */
  ttl?: Duration
  /** The statuses that are stored (others are shared with concurrent identical requests, not stored). @default [200, 203, 204, 300, 301, 308, 404, 410] */
  statuses?: number[]
  /** How long a 404 or 410 without `max-age` is kept; `false` stores none. @default '30s' */
  notFoundTtl?: Duration | false
  /** Request headers that are always part of the key, besides those a response's `Vary` names. @default [] */
  varyBy?: string[]
  /** Computes the key's URL part from the request (the method and `Vary` headers are added). @default the path with its query parameters sorted */
  key?: (request: HttpRequest) => string
  /** The largest body stored, in bytes; larger responses are sent but not stored. @default 1048576 */
  maxBodyBytes?: number
  /** A successful POST, PUT, PATCH or DELETE drops the cached GET of its URL (RFC 9111 §4.4). @default true */
  invalidateOnWrite?: boolean
  /** How long requests wait for a handler before they get 504 (the handler's late answer still fills the cache). @default '30s' */
  handlerTimeout?: Duration
}
