import { createCache } from '@cacheguard/core'
import { describe, expect, it } from 'vitest'
import type { HttpResponse } from '../types.js'
import { parseCacheControl } from './cache-control.js'
import { resolveOptions } from './options.js'
import { storable } from './storable.js'

const o = resolveOptions(createCache(), { maxBodyBytes: 10 })
const AT = Date.now()

function check(status: number, headers: HttpResponse['headers'], body = 'ok', targeted = false) {
  const response: HttpResponse = { status, headers, body: Buffer.from(body) }
  return storable(response, parseCacheControl(headers['cache-control']), AT, targeted, o)
}

describe('storable (RFC 9111 §3)', () => {
  it('stores any status it knows when the response states its lifetime', () => {
    for (const status of [200, 302, 400, 500]) {
      expect(check(status, { 'cache-control': 'max-age=60' })).toMatchObject({
        freshMs: 60_000,
        explicit: true,
      })
    }
  })

  it('keeps the statuses list for the default ttl, and refuses unknown statuses', () => {
    expect(check(200, {})).toMatchObject({ freshMs: 60_000, explicit: false })
    expect(check(500, {})).toBeUndefined()
    expect(check(299, { 'cache-control': 'max-age=60' })).toBeUndefined()
  })

  it('refuses no-store, private, no-cache, Vary: *, a body too large and a stale arrival', () => {
    expect(check(200, { 'cache-control': 'no-store, max-age=60' })).toBeUndefined()
    expect(check(200, { 'cache-control': 'private, max-age=60' })).toBeUndefined()
    expect(check(200, { 'cache-control': 'no-cache, max-age=60' })).toBeUndefined()
    expect(check(200, { 'cache-control': 'max-age=60', vary: 'accept, *' })).toBeUndefined()
    expect(check(200, { 'cache-control': 'max-age=60' }, 'x'.repeat(11))).toBeUndefined()
    expect(check(200, { 'cache-control': 'max-age=60', age: '60' })).toBeUndefined()
  })

  it('keeps a no-cache response with a validator, to be revalidated before every reuse', () => {
    expect(check(200, { 'cache-control': 'no-cache', etag: '"a"' })).toMatchObject({
      freshMs: 1,
      graceMs: 3_600_000,
      revalidateAlways: true,
    })
  })

  it('ignores no-store with must-understand for a status it knows', () => {
    expect(check(200, { 'cache-control': 'must-understand, no-store, max-age=60' })).toBeDefined()
  })

  it('gives no grace to must-revalidate, and max(stale-while-revalidate, stale-if-error) otherwise', () => {
    const cc = 'max-age=60, stale-while-revalidate=10, stale-if-error=30'
    expect(check(200, { 'cache-control': cc })).toMatchObject({ graceMs: 30_000, swrMs: 10_000 })
    expect(check(200, { 'cache-control': `${cc}, must-revalidate` })).toMatchObject({
      graceMs: 0,
      swrMs: 0,
    })
  })

  it('takes the age on arrival off the lifetime, and ignores Expires for a targeted field', () => {
    expect(check(200, { 'cache-control': 'max-age=60', age: '20' })?.freshMs).toBe(40_000)
    const expired = { expires: 'Thu, 01 Jan 1970 00:00:00 GMT' }
    expect(check(200, expired)).toBeUndefined()
    // A targeted field replaces Cache-Control and Expires: no lifetime of its own, the default ttl.
    expect(check(200, expired, 'ok', true)?.freshMs).toBe(60_000)
  })
})
