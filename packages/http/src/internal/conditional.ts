import type { HttpRequest } from '../types.js'
import { noneMatch } from './etag.js'
import { parseHttpDate } from './http-date.js'
import { firstValue, header, type StoredResponse } from './stored.js'

/**
 * Whether a client's conditional GET or HEAD is answered 304 by a stored response (RFC 9110
 * §13.2.2): `If-None-Match` when the request has one (weak comparison); otherwise
 * `If-Modified-Since`, against the stored `Last-Modified`, or its `Date`, or when it was stored
 * (RFC 9111 §4.3.2). An `If-Modified-Since` that is not a valid HTTP-date is ignored.
 */
export function notModified(request: HttpRequest, stored: StoredResponse): boolean {
  const ifNoneMatch = request.headers['if-none-match']
  if (ifNoneMatch !== undefined) return noneMatch(ifNoneMatch, header(stored, 'etag'))
  const since = firstValue(request.headers['if-modified-since'])
  if (since === undefined) return false
  const sinceMs = parseHttpDate(since)
  if (sinceMs === undefined) return false
  const lastModified =
    date(header(stored, 'last-modified')) ?? date(header(stored, 'date')) ?? stored.t
  return lastModified <= sinceMs
}

function date(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseHttpDate(value)
}
