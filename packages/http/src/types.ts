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
 * With `validators`, the cache revalidates a stored response (RFC 9111 §4.3.1): the adapter puts
 * these in place of the client's, and the handler may answer 304.
 */
export type RunHandler = (validators?: Validators) => Promise<HttpResponse>

/** The validators of a conditional request the cache makes to revalidate a stored response. */
export interface Validators {
  'if-none-match'?: string
  'if-modified-since'?: string
}

/** Options of `httpCache`. */
export interface HttpCacheOptions {
  /**
   * How long a response is fresh that carries no freshness information at all (no `s-maxage`,
   * `max-age`, `Expires` or `Last-Modified`); `false`: such responses are not reused (and, unless
   * `notFoundTtl` is given, neither are 404 and 410 without one). @default '1m'
   */
  ttl?: Duration | false
  /** The statuses that are stored (others are shared with concurrent identical requests, not stored). @default [200, 203, 204, 300, 301, 308, 404, 410] */
  statuses?: number[]
  /** How long a 404 or 410 without freshness information is kept; `false` stores none. @default '30s' (none with `ttl: false`) */
  notFoundTtl?: Duration | false
  /**
   * How long a response with a validator (`ETag` or `Last-Modified`) is kept past its freshness,
   * to be revalidated with a conditional request to the handler (a 304 freshens it, with no body
   * sent again) rather than fetched in full. It is never served stale for this: only within
   * `stale-while-revalidate` or `stale-if-error`. `false`: not kept. @default '1h'
   */
  keep?: Duration | false
  /**
   * Go by `CDN-Cache-Control` (RFC 9213) when a response has it, instead of `Cache-Control` and
   * `Expires`. Whatever this says, a response's `CacheGuard-Cache-Control` goes first: a targeted
   * field for this cache alone, removed before the response leaves (`max-age=300` here while
   * browsers see `Cache-Control: max-age=0`). @default false
   */
  cdnCacheControl?: boolean
  /**
   * What a request's `Cookie` does. `'private'`: a request with cookies is neither served from
   * nor stored into the shared cache, unless the response is `public` or has `s-maxage` (as with
   * `Authorization`), since a response may depend on a cookie without saying so. `'ignore'`:
   * cookies are not looked at. A list of cookie names: those cookies' values are part of the key,
   * the others are ignored. @default 'private'
   */
  cookies?: 'private' | 'ignore' | string[]
  /** Request headers that are always part of the key, besides those a response's `Vary` names. @default [] */
  varyBy?: string[]
  /** Computes the key's URL part from the request (the method and `Vary` headers are added). @default the path with its query parameters sorted */
  key?: (request: HttpRequest) => string
  /** The largest body stored, in bytes; larger responses are sent but not stored. @default 1048576 */
  maxBodyBytes?: number
  /**
   * A successful request with a method not known to be safe (anything but GET, HEAD, OPTIONS and
   * TRACE) drops the cached GET of its URL and of its response's `Location` and
   * `Content-Location` on the same origin (RFC 9111 §4.4). @default true
   */
  invalidateOnWrite?: boolean
  /**
   * The tags of a stored response, besides those its handler puts in a `Cache-Tag` header (a
   * comma-separated list, removed before the response leaves): `cache.deleteTags(['user:42'])`
   * then drops every response tagged `user:42`. @default none
   */
  tags?: (request: HttpRequest, response: HttpResponse) => readonly string[] | undefined
  /** How long requests wait for a handler before they get 504 (the handler's late answer still fills the cache). @default '30s' */
  handlerTimeout?: Duration
}
