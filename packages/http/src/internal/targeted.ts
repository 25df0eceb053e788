import type { HttpResponse } from '../types.js'
import { type Directives, parseCacheControl } from './cache-control.js'

/**
 * cacheguard's own targeted cache-control field (RFC 9213): it speaks to this cache only, and is
 * removed before the response leaves, so downstream caches and browsers go by `Cache-Control`.
 */
export const OWN_FIELD = 'cacheguard-cache-control'

/**
 * The response's tags for this cache (`deleteTags`), as a comma-separated list; removed before the
 * response leaves, like `CacheGuard-Cache-Control`.
 */
export const TAG_FIELD = 'cache-tag'

/** The directives this cache goes by, and whether they came from a targeted field. */
export interface ResponseDirectives {
  cc: Directives
  /** From `CacheGuard-Cache-Control` or `CDN-Cache-Control`: `Cache-Control` and `Expires` are ignored. */
  targeted: boolean
}

/**
 * RFC 9213 §2.1: the first targeted field present in this cache's list (its own, then, with
 * `cdnCacheControl`, `CDN-Cache-Control`) replaces `Cache-Control` and `Expires`; without one,
 * `Cache-Control` rules.
 */
export function responseDirectives(
  headers: HttpResponse['headers'],
  cdnCacheControl: boolean,
): ResponseDirectives {
  for (const name of cdnCacheControl ? [OWN_FIELD, 'cdn-cache-control'] : [OWN_FIELD]) {
    const value = headers[name]
    if (value !== undefined) return { cc: parseCacheControl(value), targeted: true }
  }
  return { cc: parseCacheControl(headers['cache-control']), targeted: false }
}

/**
 * `response`, stored for no one and shared with no one: the requests waiting for its run run
 * their own handler. For what an adapter cannot hand the cache whole: a reply the handler sent
 * itself (`reply.hijack()`, Nest's `@Res()`), a body past `maxBodyBytes`.
 */
export function unshared(response: HttpResponse): HttpResponse {
  return { ...response, headers: { ...response.headers, [OWN_FIELD]: 'no-store' } }
}

/**
 * `response`, stored for no one whatever its status and headers, but shared with the requests
 * waiting for its run, as a 5xx is: for an answer made by the framework's error handling.
 */
export function unstored(response: HttpResponse): HttpResponse {
  return { ...response, headers: { ...response.headers, [OWN_FIELD]: 'max-age=0' } }
}
