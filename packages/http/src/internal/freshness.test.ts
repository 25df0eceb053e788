import { describe, expect, it } from 'vitest'
import type { HttpResponse } from '../types.js'
import { parseCacheControl } from './cache-control.js'
import { freshness, MAX_HEURISTIC_MS } from './freshness.js'
import { parseHttpDate } from './http-date.js'

const AT = Date.UTC(2026, 11, 6, 12, 0, 0)
const date = (ms: number) => new Date(ms).toUTCString()
const defaults = { ttlMs: 60_000, notFoundTtlMs: 30_000 }

function of(headers: HttpResponse['headers'], status = 200) {
  const response: HttpResponse = { status, headers, body: new Uint8Array(0) }
  return freshness(response, parseCacheControl(headers['cache-control']), AT, defaults)
}

describe('parseHttpDate (RFC 9110 §5.6.7)', () => {
  it.each([
    ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT'],
    ['RFC 850', 'Sunday, 06-Nov-94 08:49:37 GMT'],
    ['asctime', 'Sun Nov  6 08:49:37 1994'],
  ])('reads the %s form', (_, text) => {
    expect(parseHttpDate(text, AT)).toBe(Date.UTC(1994, 10, 6, 8, 49, 37))
  })

  it.each([
    '0',
    '2099',
    'tomorrow',
    '',
    'Sun, 6 Nov 1994 08:49:37 GMT',
    'Sun, 06 Nov 1994 08:49:37 UTC',
    'sun, 06 nov 1994 08:49:37 GMT',
    'Sun, 31 Feb 1994 08:49:37 GMT',
    'Sun, 06 Nov 1994 24:00:00 GMT',
  ])('refuses %j', (text) => {
    expect(parseHttpDate(text, AT)).toBeUndefined()
  })

  it('reads a two-digit year more than 50 years ahead in the past century', () => {
    expect(parseHttpDate('Monday, 01-Jan-90 00:00:00 GMT', AT)).toBe(Date.UTC(1990, 0, 1))
    expect(parseHttpDate('Friday, 01-Jan-27 00:00:00 GMT', AT)).toBe(Date.UTC(2027, 0, 1))
  })
})

describe('freshness (RFC 9111 §4.2)', () => {
  it('takes s-maxage, then max-age, then Expires minus Date', () => {
    expect(of({ 'cache-control': 's-maxage=10, max-age=20' })).toMatchObject({
      source: 'explicit',
      lifetimeMs: 10_000,
    })
    expect(of({ 'cache-control': 'max-age=20', expires: date(AT + 99_000) })?.lifetimeMs).toBe(
      20_000,
    )
    expect(of({ date: date(AT - 5000), expires: date(AT + 25_000) })?.lifetimeMs).toBe(30_000)
    expect(of({ expires: date(AT + 25_000) })?.lifetimeMs).toBe(25_000)
  })

  it.each([
    ['a negative max-age', { 'cache-control': 'max-age=-1' }],
    ['a quoted max-age', { 'cache-control': 'max-age="60"' }],
    ['an invalid s-maxage over a valid max-age', { 'cache-control': 's-maxage=x, max-age=60' }],
    ['Expires: 0', { expires: '0' }],
    ['an Expires in the past', { expires: date(AT - 1000) }],
  ])('makes %s stale from the start', (_, headers) => {
    expect(of(headers)).toMatchObject({ source: 'explicit', lifetimeMs: 0 })
  })

  it('caps a huge delta-seconds at 2^31 seconds', () => {
    expect(of({ 'cache-control': 'max-age=99999999999999' })?.lifetimeMs).toBe(2 ** 31 * 1000)
  })

  it('gives a tenth of the time since Last-Modified, at most a day, without explicit freshness', () => {
    expect(of({ 'last-modified': date(AT - 100_000) })).toMatchObject({
      source: 'heuristic',
      lifetimeMs: 10_000,
    })
    expect(of({ 'last-modified': date(AT - 365 * 86_400_000) })?.lifetimeMs).toBe(MAX_HEURISTIC_MS)
  })

  it("falls back to the cache's ttl, the not-found ttl for 404 and 410, or nothing", () => {
    expect(of({})).toMatchObject({ source: 'default', lifetimeMs: 60_000 })
    expect(of({}, 404)).toMatchObject({ source: 'default', lifetimeMs: 30_000 })
    const none = { status: 200, headers: {}, body: new Uint8Array(0) }
    expect(freshness(none, new Map(), AT, { ttlMs: undefined, notFoundTtlMs: undefined })).toBe(
      undefined,
    )
  })

  it('counts the upstream Age, or how old Date is, whichever is more, in the initial age', () => {
    expect(of({ 'cache-control': 'max-age=60', age: '30' })?.initialAgeMs).toBe(30_000)
    expect(of({ 'cache-control': 'max-age=60', date: date(AT - 40_000) })?.initialAgeMs).toBe(
      40_000,
    )
    // An Age that is not one delta-seconds: older than any lifetime, so stale.
    for (const age of ['-5', '7200.0', 'abc', '0, 0', '1;a=b', ['0', '0']]) {
      expect(of({ 'cache-control': 'max-age=60', age })?.initialAgeMs).toBe(
        Number.POSITIVE_INFINITY,
      )
    }
  })
})
