import type { HttpResponse } from '../types.js'

/** A response as it is kept in the cache: JSON-safe, the body in base64. */
export interface StoredResponse {
  /** The status. */
  s: number
  /** The headers, as name-value pairs, names lower-cased, without hop-by-hop ones and Set-Cookie. */
  h: Array<[string, string]>
  /** The body, base64. */
  b: string
  /** When it was stored (Unix ms), for `Age`. */
  t: number
  /** Its freshness lifetime in ms: past `t + f` it is served as stale. */
  f: number
  /** `public` or `s-maxage`: may answer a request that carries `Authorization`. */
  a?: true
  /** Its age when it arrived (RFC 9111 §4.2.3), in ms; absent for 0. */
  i?: number
  /**
   * Its `stale-while-revalidate` in ms, from the directives the cache went by; absent in entries
   * written before it was recorded (their `Cache-Control` says).
   */
  w?: number
  /**
   * Its `stale-if-error` in ms; absent in entries written before it was recorded, whose whole
   * grace was stale-while-revalidate or stale-if-error.
   */
  e?: number
  /** `no-cache`: never reused without a successful revalidation. */
  n?: true
}

/** Where a response's `Vary` sends the lookup: its header names and a generation of the entries. */
export interface VaryMarker {
  vary: string[]
  gen: string
}

/** Answers a coalesced caller that must not share the response: it runs its own handler. */
export interface NotShared {
  notShared: true
}

/** Headers that describe one connection, not the response (RFC 9110 §7.6.1); never stored. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'set-cookie',
  // cacheguard's own targeted field (internal/targeted.ts): for this cache only, never served.
  'cacheguard-cache-control',
])

/** The times a stored response keeps, as the cache's storability rules computed them. */
export interface StoredTimes {
  /** What is left of its freshness lifetime once its age on arrival is taken off, in ms. */
  freshMs: number
  initialAgeMs: number
  swrMs: number
  sieMs: number
  /** `no-cache`: revalidated before every reuse. */
  revalidateAlways: boolean
}

/**
 * A response as it is kept: its headers without hop-by-hop ones and `Set-Cookie`, its body in
 * base64, and its times; `times` undefined for a response shared with concurrent requests but
 * stored for none. `authOk`: it may answer requests with credentials or cookies.
 */
export function toStored(
  response: HttpResponse,
  times: StoredTimes | undefined,
  authOk: boolean,
): StoredResponse {
  const connectionNamed = new Set(
    headerList(response.headers.connection).map((name) => name.toLowerCase()),
  )
  const h: Array<[string, string]> = []
  for (const [name, value] of Object.entries(response.headers)) {
    const lower = name.toLowerCase()
    if (HOP_BY_HOP.has(lower) || connectionNamed.has(lower) || value === undefined) continue
    for (const one of Array.isArray(value) ? value : [value]) h.push([lower, String(one)])
  }
  const stored: StoredResponse = {
    s: response.status,
    h,
    b: Buffer.from(response.body).toString('base64'),
    t: Date.now(),
    f: times?.freshMs ?? 0,
  }
  if (authOk) stored.a = true
  if (times === undefined) return stored
  if (times.initialAgeMs > 0) stored.i = times.initialAgeMs
  stored.w = times.swrMs
  stored.e = times.sieMs
  if (times.revalidateAlways) stored.n = true
  return stored
}

/** A stored response's header (names are stored lower-cased). */
export function header(stored: StoredResponse, name: string): string | undefined {
  return stored.h.find(([n]) => n === name)?.[1]
}

export function fromStored(stored: StoredResponse): HttpResponse {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of stored.h) {
    const existing = headers[name]
    headers[name] =
      existing === undefined
        ? value
        : Array.isArray(existing)
          ? [...existing, value]
          : [existing, value]
  }
  return { status: stored.s, headers, body: Buffer.from(stored.b, 'base64') }
}

export function isStored(value: unknown): value is StoredResponse {
  return (
    typeof value === 'object' && value !== null && typeof (value as StoredResponse).s === 'number'
  )
}

export function isMarker(value: unknown): value is VaryMarker {
  return typeof value === 'object' && value !== null && Array.isArray((value as VaryMarker).vary)
}

/**
 * A comma-separated header as its items, trimmed, empty elements dropped (RFC 9110 §5.6.1 lists:
 * `Vary: , Accept` is `['Accept']`), its field lines joined.
 */
export function headerList(value: string | string[] | undefined): string[] {
  if (value === undefined) return []
  return (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/** The first value of a header that may have come as several field lines, trimmed. */
export function firstValue(value: string | string[] | undefined): string | undefined {
  const one = Array.isArray(value) ? value[0] : value
  return one === undefined ? undefined : one.trim()
}
