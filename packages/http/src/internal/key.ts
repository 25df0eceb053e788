import { createHash } from 'node:crypto'
import type { HttpRequest } from '../types.js'

/** The URL part of a key: the path, and the query with its parameters sorted (by name, then value). */
export function urlKey(request: HttpRequest): string {
  const url = request.url
  const at = url.indexOf('?')
  if (at === -1) return url
  const params = new URLSearchParams(url.slice(at + 1))
  params.sort()
  const query = params.toString()
  return query === '' ? url.slice(0, at) : `${url.slice(0, at)}?${query}`
}

/**
 * The values of the named request headers, in the key: `accept-language=fr`. A name
 * `cookie:<name>` (the `cookies` option) stands for the value of that one cookie.
 */
export function headersKey(request: HttpRequest, names: readonly string[]): string {
  return names
    .map((name) => {
      if (name.startsWith('cookie:')) return `${name}=${cookieValue(request, name.slice(7))}`
      const value = request.headers[name]
      return `${name}=${Array.isArray(value) ? value.join(',') : (value ?? '')}`
    })
    .join('&')
}

/** The value of one cookie of the request's `Cookie` header(s); '' when absent. */
function cookieValue(request: HttpRequest, name: string): string {
  const header = request.headers.cookie
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '')
  for (const pair of text.split(';')) {
    const at = pair.indexOf('=')
    if (at !== -1 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim()
  }
  return ''
}

/** A key fit for any store: the text itself when short, else its SHA-256 (never a 32-bit hash). */
export function storeKey(text: string): string {
  // Bytes, not characters: the cache's maxKeyLength counts UTF-8 bytes.
  return Buffer.byteLength(text) <= 512
    ? text
    : `sha256:${createHash('sha256').update(text).digest('base64url')}`
}
