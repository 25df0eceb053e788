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

export function toStored(
  response: HttpResponse,
  freshMs: number,
  authOk: boolean,
  initialAgeMs = 0,
  swrMs?: number,
  sieMs?: number,
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
    f: freshMs,
  }
  if (authOk) stored.a = true
  if (initialAgeMs > 0) stored.i = initialAgeMs
  if (swrMs !== undefined) stored.w = swrMs
  if (sieMs !== undefined) stored.e = sieMs
  return stored
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

/** A comma-separated header as its items, trimmed (`Vary: Accept, Accept-Language`). */
export function headerList(value: string | string[] | undefined): string[] {
  if (value === undefined) return []
  return (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}
