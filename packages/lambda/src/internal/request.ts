import type { HttpRequest } from '@cacheguard/http'
import type { ProxyEventV1, ProxyEventV2 } from '../types.js'

/** The payload format of an event: 1 or 2, or `undefined` for an event that is not a proxy event. */
export type PayloadVersion = 1 | 2

/**
 * Which payload format `event` is in. Format 2.0 has `rawPath` and `requestContext.http`; 1.0 has
 * `httpMethod` and `path`. Anything else (a scheduled warm-up ping, an SQS batch) is neither.
 */
export function payloadVersion(event: unknown): PayloadVersion | undefined {
  if (typeof event !== 'object' || event === null) return undefined
  const e = event as Partial<ProxyEventV1> & Partial<ProxyEventV2>
  if (typeof e.rawPath === 'string' && typeof e.requestContext?.http?.method === 'string') return 2
  if (typeof e.httpMethod === 'string' && typeof e.path === 'string') return 1
  return undefined
}

/**
 * The neutral request of a format 1.0 event: `httpMethod`, `path` and the query parameters (all
 * values of `multiValueQueryStringParameters`), headers from `multiValueHeaders` and `headers`.
 * Nothing comes from `requestContext`, so two requests differing only in `requestId` or `time`
 * are the same request to the cache.
 */
export function requestV1(event: ProxyEventV1): HttpRequest {
  const params = new URLSearchParams()
  const multi = event.multiValueQueryStringParameters
  const single = event.queryStringParameters
  for (const [name, values] of Object.entries(multi ?? {})) {
    for (const value of values ?? []) params.append(name, value)
  }
  for (const [name, value] of Object.entries(single ?? {})) {
    // `multiValueQueryStringParameters` holds every value; `queryStringParameters` the last one.
    if (value !== undefined && multi?.[name] === undefined) params.append(name, value)
  }
  const headers = collect([event.multiValueHeaders, event.headers])
  return { method: event.httpMethod, url: toUrl(event.path, params.toString()), headers }
}

/**
 * The neutral request of a format 2.0 event: `requestContext.http.method` (the one field read
 * there), `rawPath`, `rawQueryString`, `headers`, and `cookies` joined back into a `cookie` header.
 */
export function requestV2(event: ProxyEventV2): HttpRequest {
  let query = event.rawQueryString
  if (query === undefined) {
    // Hand-built events may lack it; the parsed parameters are then the best there is.
    const params = new URLSearchParams()
    for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
      if (value !== undefined) params.append(name, value)
    }
    query = params.toString()
  }
  const headers = collect([event.headers])
  if (event.cookies !== undefined && event.cookies.length > 0) {
    const cookie = [headers.cookie, ...event.cookies].filter((c) => c !== undefined).join('; ')
    headers.cookie = cookie
  }
  return { method: event.requestContext.http.method, url: toUrl(event.rawPath, query), headers }
}

/**
 * Merges header maps into one with lower-cased names (header names are case-insensitive, RFC 9110
 * §5.1); the first map that has a name wins. Several values are joined as Node joins them:
 * `Cookie` with `; `, the others with `, ` (RFC 9110 §5.3).
 */
function collect(
  maps: Array<Record<string, string | string[] | undefined> | null | undefined>,
): Record<string, string> {
  const values = new Map<string, string[]>()
  for (const map of maps) {
    const seen = new Set<string>()
    for (const [name, value] of Object.entries(map ?? {})) {
      if (value === undefined) continue
      const lower = name.toLowerCase()
      // A name given by an earlier map (`multiValueHeaders` before `headers`) is complete there.
      if (values.has(lower) && !seen.has(lower)) continue
      seen.add(lower)
      values.set(lower, [...(values.get(lower) ?? []), ...(Array.isArray(value) ? value : [value])])
    }
  }
  const headers: Record<string, string> = {}
  for (const [name, list] of values) headers[name] = list.join(name === 'cookie' ? '; ' : ', ')
  return headers
}

/**
 * The request URL from a path and a query. HTTP APIs deliver the path percent-decoded (REST APIs
 * do not), so a decoded `?` or `#` would be read as URL syntax: `/a%3Fb` would become the path
 * `/a` with the query `b`, and share its entry. `%`, `?`, `#`, controls, spaces and non-ASCII
 * characters are percent-encoded, which maps distinct paths to distinct URLs either way, and
 * keeps keys ASCII (so a key's length in characters is its length in bytes).
 */
export function toUrl(path: string, query: string): string {
  // `[^!-~]`: anything but printable ASCII (space, controls, DEL and beyond).
  const escaped = path.replace(/[%?#]|[^!-~]+/gu, (text) =>
    Array.from(Buffer.from(text, 'utf8'), (byte) => `%${hex(byte)}`).join(''),
  )
  return query === '' ? escaped : `${escaped}?${query}`
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0')
}
