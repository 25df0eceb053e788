import { describeValue } from '@cacheguard/core'
import type { HttpResponse } from '@cacheguard/http'
import type { ProxyResultV1, ProxyStructuredResultV2 } from '../types.js'

type Headers = Record<string, string | string[]>
type HeaderValue = boolean | number | string

/**
 * Carries the handler's `isBase64Encoded: true` through the cache with the response, so that a
 * stored binary body is sent base64-encoded again and a text body as text (a REST API decodes a
 * base64 body only for its binary media types, and would send the base64 text of a text body to
 * the client as is). It never reaches API Gateway: `toResultV1` and `toResultV2` remove it.
 */
const BASE64 = 'x-cacheguard-base64'

/**
 * The neutral response of a format 1.0 result. `headers` and `multiValueHeaders` are merged as
 * API Gateway merges them (a value given in both is sent once); names are lower-cased.
 */
export function fromResultV1(result: unknown): HttpResponse {
  const r = result as Partial<ProxyResultV1> | null
  const status = typeof r === 'object' && r !== null ? r.statusCode : undefined
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    // API Gateway answers such a result with 502 "Malformed Lambda proxy response"; failing the
    // invocation gives the client the same 502, and the log says why.
    throw new TypeError(
      `Expected the handler to resolve an API Gateway proxy result ({ statusCode, body }), got ${describeValue(result)}`,
    )
  }
  const headers = merge(r?.multiValueHeaders, r?.headers)
  return withBody(status, headers, r?.body, r?.isBase64Encoded === true)
}

/**
 * The neutral response of a format 2.0 result; `cookies` become `Set-Cookie` headers, which the
 * HTTP cache never stores nor shares. A result without a `statusCode` is what API Gateway makes of
 * it: 200, `application/json`, the body the string itself or the value's JSON.
 */
export function fromResultV2(result: unknown): HttpResponse {
  const r = result as ProxyStructuredResultV2 | null
  if (typeof r !== 'object' || r === null || typeof r.statusCode !== 'number') {
    const body = typeof result === 'string' ? result : (JSON.stringify(result) ?? 'null')
    return withBody(200, { 'content-type': 'application/json' }, body, false)
  }
  if (!Number.isInteger(r.statusCode) || r.statusCode < 100 || r.statusCode > 599) {
    throw new TypeError(
      `Expected \`statusCode\` to be an HTTP status, got ${describeValue(r.statusCode)}`,
    )
  }
  const headers = merge(undefined, r.headers)
  if (r.cookies !== undefined && r.cookies.length > 0) {
    headers['set-cookie'] = [...list(headers['set-cookie']), ...r.cookies]
  }
  return withBody(r.statusCode, headers, r.body, r.isBase64Encoded === true)
}

/** The format 1.0 result of a response: headers with several values go in `multiValueHeaders`. */
export function toResultV1(response: HttpResponse): ProxyResultV1 {
  const { headers: all, body, isBase64Encoded } = encodeBody(response)
  const headers: Record<string, string> = {}
  const multiValueHeaders: Record<string, string[]> = {}
  for (const [name, value] of Object.entries(all)) {
    if (typeof value === 'string') headers[name] = value
    else if (value.length === 1) headers[name] = value[0]!
    else multiValueHeaders[name] = value
  }
  const result: ProxyResultV1 = { statusCode: response.status, headers, body, isBase64Encoded }
  if (Object.keys(multiValueHeaders).length > 0) result.multiValueHeaders = multiValueHeaders
  return result
}

/**
 * The format 2.0 result of a response: `Set-Cookie` goes in `cookies` (a map cannot hold it
 * twice, and API Gateway sends each as its own header); other repeated headers are joined with
 * `, ` (RFC 9110 §5.3).
 */
export function toResultV2(response: HttpResponse): ProxyStructuredResultV2 {
  const { headers: all, body, isBase64Encoded } = encodeBody(response)
  const headers: Record<string, string> = {}
  let cookies: string[] | undefined
  for (const [name, value] of Object.entries(all)) {
    if (name === 'set-cookie') cookies = list(value)
    else headers[name] = list(value).join(', ')
  }
  const result: ProxyStructuredResultV2 = {
    statusCode: response.status,
    headers,
    body,
    isBase64Encoded,
  }
  if (cookies !== undefined && cookies.length > 0) result.cookies = cookies
  return result
}

/** Merges result header maps into lower-cased names; the values of `first` come first. */
function merge(
  first: Record<string, HeaderValue[]> | null | undefined,
  second: Record<string, HeaderValue> | null | undefined,
): Headers {
  const values = new Map<string, string[]>()
  const add = (name: string, value: HeaderValue) => {
    const lower = name.toLowerCase()
    const known = values.get(lower) ?? []
    if (!known.includes(String(value))) values.set(lower, [...known, String(value)])
  }
  for (const [name, many] of Object.entries(first ?? {})) for (const v of many ?? []) add(name, v)
  for (const [name, one] of Object.entries(second ?? {})) if (one !== undefined) add(name, one)
  const headers: Headers = {}
  for (const [name, list] of values) headers[name] = list.length === 1 ? list[0]! : list
  return headers
}

function withBody(
  status: number,
  headers: Headers,
  body: string | null | undefined,
  base64: boolean,
): HttpResponse {
  const text = body ?? ''
  if (base64) headers[BASE64] = '1'
  return { status, headers, body: Buffer.from(text, base64 ? 'base64' : 'utf8') }
}

/** The body as API Gateway takes it, base64 when the handler gave it so; headers defined only. */
function encodeBody(response: HttpResponse) {
  const headers: Headers = {}
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined && name !== BASE64) headers[name] = value
  }
  const bytes = Buffer.from(
    response.body.buffer,
    response.body.byteOffset,
    response.body.byteLength,
  )
  // An empty body (a 304, a HEAD) is the same either way; it goes as text.
  const isBase64Encoded = response.headers[BASE64] !== undefined && bytes.byteLength > 0
  return { headers, body: bytes.toString(isBase64Encoded ? 'base64' : 'utf8'), isBase64Encoded }
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value]
}
