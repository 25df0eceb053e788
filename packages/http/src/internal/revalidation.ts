import type { HttpResponse, Validators } from '../types.js'
import type { StoredResponse } from './stored.js'

/**
 * What a 304 never changes in the stored response it freshens (RFC 9111 §3.2): the fields that
 * describe the stored body itself (its length, encoding, range and digest), and the validator the
 * 304 was selected by.
 */
const KEPT = new Set([
  'content-length',
  'content-encoding',
  'content-range',
  'content-md5',
  'etag',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'set-cookie',
])

/**
 * The validators of a stored response, for a conditional request to the handler (RFC 9111
 * §4.3.1): its `ETag` as `If-None-Match`, its `Last-Modified` as `If-Modified-Since`;
 * `undefined` when it has neither, and can only be fetched again in full.
 */
export function validatorsOf(stored: StoredResponse): Validators | undefined {
  const validators: Validators = {}
  for (const [name, value] of stored.h) {
    if (name === 'etag' && validators['if-none-match'] === undefined) {
      validators['if-none-match'] = value
    }
    if (name === 'last-modified' && validators['if-modified-since'] === undefined) {
      validators['if-modified-since'] = value
    }
  }
  return Object.keys(validators).length === 0 ? undefined : validators
}

/**
 * The stored response freshened by a 304 (RFC 9111 §4.3.4, §3.2): the 304's header fields replace
 * the stored ones of the same name, but for the body's own fields; the status and body are kept.
 */
export function freshened(stored: StoredResponse, notModified: HttpResponse): StoredResponse {
  const replaced = new Map<string, string[]>()
  for (const [name, value] of Object.entries(notModified.headers)) {
    const lower = name.toLowerCase()
    if (value === undefined || KEPT.has(lower)) continue
    replaced.set(lower, (Array.isArray(value) ? value : [value]).map(String))
  }
  const h: Array<[string, string]> = stored.h.filter(([name]) => !replaced.has(name))
  for (const [name, values] of replaced) for (const value of values) h.push([name, value])
  return { ...stored, h }
}
