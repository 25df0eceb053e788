import type { Directives } from './cache-control.js'

// Status rules of the HTTP cache: which responses it knows the meaning of, which belong to one
// request only, which give way to a stale copy.

/** Answers to a request's own preconditions or range: never shared with another request. */
export const PERSONAL_STATUSES = new Set([206, 304, 412])

/** The final statuses RFC 9110 §15 defines (and 429, RFC 6585): the ones whose meaning this cache knows. */
const KNOWN_STATUSES = new Set([
  200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403,
  404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426, 429, 500,
  501, 502, 503, 504, 505,
])

/**
 * `no-store`, unless `must-understand` says a cache that knows the status may store it; and
 * `must-understand` with a status this cache does not know (RFC 9111 §5.2.2.3).
 */
export function noStore(cc: Directives, status: number): boolean {
  if (cc.has('must-understand')) return !understood(status)
  return cc.has('no-store')
}

/** RFC 5861 §4: the statuses for which `stale-if-error` may serve a stale copy. */
export const SERVER_ERRORS = new Set([500, 502, 503, 504])

/** The statuses whose meaning this cache knows, but answers to one request's own conditions or range. */
export function understood(status: number): boolean {
  return KNOWN_STATUSES.has(status) && !PERSONAL_STATUSES.has(status)
}

/**
 * Whether a response with this status carries a `Content-Length` (RFC 9110 §8.6): not a 1xx, 204
 * or 304. (Nor does a HEAD's answer need one: its length is the GET's.)
 */
export function hasContentLength(status: number): boolean {
  return status >= 200 && status !== 204 && status !== 304
}
