import type { CacheStatus, HttpRequest, HttpResponse, HttpResult } from '../types.js'
import { notModified } from './conditional.js'
import { fromStored, type StoredResponse } from './stored.js'
import { OWN_FIELD, TAG_FIELD } from './targeted.js'

// The answers the HTTP cache sends, labelled with X-Cache and Cache-Status (RFC 9211).

/** Answers a request from a stored response: `Age`, and 304 to a client's matching validators. */
export function serve(stored: StoredResponse, request: HttpRequest): HttpResult {
  const response = fromStored(stored)
  // RFC 9111 §4.2.3: its age when it arrived, plus the time it has been stored.
  const ageS = Math.max(0, Math.floor(((stored.i ?? 0) + Date.now() - stored.t) / 1000))
  const stale = Date.now() >= stored.t + stored.f
  response.headers.age = String(ageS)
  const status: CacheStatus = stale ? 'STALE' : 'HIT'
  if (notModified(request, stored)) {
    // RFC 9110 §15.4.5: a 304 carries the validators and caching headers a 200 would, no body.
    const kept: Record<string, string | string[] | undefined> = { age: response.headers.age }
    for (const name of [
      'etag',
      'cache-control',
      'content-location',
      'date',
      'expires',
      'vary',
      'last-modified',
    ]) {
      if (response.headers[name] !== undefined) kept[name] = response.headers[name]
    }
    return answer(status, { status: 304, headers: kept, body: new Uint8Array(0) })
  }
  if (request.method.toUpperCase() === 'HEAD') response.body = new Uint8Array(0)
  return answer(status, response)
}

/** An answer the cache gave, from a stored response or on a handler's behalf. */
export function answer(status: CacheStatus, response: HttpResponse, detail?: string): HttpResult {
  return { status, response: labelled(response, status, detail), ran: false }
}

/** The response this request's own handler produced. */
export function ran(status: CacheStatus, response: HttpResponse): HttpResult {
  return { status, response: labelled(response, status), ran: true }
}

/** A response produced by another request's handler at the same moment, not stored. */
export function shared(response: HttpResponse): HttpResult {
  return { status: 'MISS', response: labelled(response, 'MISS', 'collapsed'), ran: false }
}

/**
 * Sets `X-Cache` and `Cache-Status` (RFC 9211) on a copy of the headers, and removes the fields
 * that speak to this cache only: what every answer of the cache gets.
 */
export function labelled(
  response: HttpResponse,
  status: CacheStatus,
  detail?: string,
): HttpResponse {
  const parameter =
    status === 'HIT'
      ? 'hit'
      : status === 'STALE'
        ? 'hit; fwd=stale'
        : status === 'MISS'
          ? 'fwd=uri-miss'
          : 'fwd=bypass'
  // cacheguard's own targeted field and the response's tags speak to this cache only: they never
  // leave. (A loop: a rest pattern with computed keys costs a hit several times as much.)
  const headers: HttpResponse['headers'] = {}
  for (const name in response.headers) {
    if (name !== OWN_FIELD && name !== TAG_FIELD) headers[name] = response.headers[name]
  }
  headers['x-cache'] = status
  headers['cache-status'] = `cacheguard; ${parameter}${detail ? `; detail=${detail}` : ''}`
  return { status: response.status, headers, body: response.body }
}

/** A guard's 404: the key is known not to exist. */
export function notFound(): HttpResponse {
  return { status: 404, headers: { 'content-length': '0' }, body: new Uint8Array(0) }
}

/** The handler did not answer within `handlerTimeout`. */
export function gatewayTimeout(): HttpResponse {
  return { status: 504, headers: { 'content-length': '0' }, body: new Uint8Array(0) }
}

/** The cache's load cap refused to run the handler now. */
export function unavailable(): HttpResponse {
  return { status: 503, headers: { 'content-length': '0' }, body: new Uint8Array(0) }
}
