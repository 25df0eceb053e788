import { describe, expect, it } from 'vitest'
import { eventV1, eventV2 } from '../fixtures/events.js'
import { payloadVersion, requestV1, requestV2, toUrl } from './request.js'

describe('lambda request | payload 1.0', () => {
  it('builds the request from method, path, query and headers, never from requestContext', () => {
    const a = eventV1()
    const b = eventV1()
    b.requestContext = { ...b.requestContext, requestId: 'other', resourceId: 'other' }
    b.headers['X-Amzn-Trace-Id'] = a.headers['X-Amzn-Trace-Id']
    b.multiValueHeaders['X-Amzn-Trace-Id'] = a.multiValueHeaders['X-Amzn-Trace-Id']
    expect(a.requestContext.requestId).not.toBe(b.requestContext.requestId)
    expect(requestV1(b)).toEqual(requestV1(a))
    expect(requestV1(a)).toMatchObject({
      method: 'GET',
      url: '/products/42?color=red&size=M&size=L',
      headers: { accept: 'application/json', 'accept-language': 'en-GB,en;q=0.9' },
    })
  })

  it('keeps every value of a repeated query parameter, from multiValueQueryStringParameters', () => {
    const event = eventV1({
      query: [
        ['tag', 'a b'],
        ['tag', 'c&d'],
      ],
    })
    expect(requestV1(event).url).toBe('/products/42?tag=a+b&tag=c%26d')
    event.multiValueQueryStringParameters = null
    expect(requestV1(event).url).toBe('/products/42?tag=c%26d')
    event.queryStringParameters = null
    expect(requestV1(event).url).toBe('/products/42')
  })

  it('merges multiValueHeaders and headers by lower-cased name, joining several values', () => {
    const event = eventV1()
    event.multiValueHeaders = { Accept: ['text/html', 'application/json'], cookie: ['a=1', 'b=2'] }
    event.headers = { accept: 'application/json', 'X-Only-Here': 'yes', 'x-only-here': 'too' }
    expect(requestV1(event).headers).toEqual({
      accept: 'text/html, application/json',
      cookie: 'a=1; b=2',
      'x-only-here': 'yes, too',
    })
  })

  it('takes the path without the stage: two stages of one function share its entries', () => {
    // API Gateway's `path` has no stage; give each stage its own cache namespace if they differ.
    expect(requestV1(eventV1({ stage: 'beta' })).url).toBe(requestV1(eventV1()).url)
  })
})

describe('lambda request | payload 2.0', () => {
  it('builds the request from rawPath, rawQueryString, headers and cookies', () => {
    const a = eventV2({ cookies: ['theme=dark', 'consent=analytics'] })
    const b = eventV2({ cookies: ['theme=dark', 'consent=analytics'] })
    b.headers['x-amzn-trace-id'] = a.headers['x-amzn-trace-id']
    expect(a.requestContext.requestId).not.toBe(b.requestContext.requestId)
    expect(requestV2(b)).toEqual(requestV2(a))
    expect(requestV2(a)).toMatchObject({
      method: 'GET',
      url: '/products/42?size=M&color=red&size=L',
      headers: { cookie: 'theme=dark; consent=analytics', accept: 'application/json' },
    })
  })

  it('falls back to queryStringParameters when rawQueryString is missing', () => {
    const event = eventV2({ query: [['q', 'tea pot']] }) as Partial<ReturnType<typeof eventV2>>
    delete event.rawQueryString
    expect(requestV2(event as ReturnType<typeof eventV2>).url).toBe('/products/42?q=tea+pot')
  })

  it('keeps a named stage in the path, as rawPath does', () => {
    expect(requestV2(eventV2({ stage: 'beta' })).url).toMatch(/^\/beta\/products\/42\?/)
  })
})

describe('lambda request | path', () => {
  it('does not read a decoded ? or # in a path as a query or a fragment', () => {
    // HTTP APIs decode the path: a client's `/files/a%3Fb` arrives as `/files/a?b`.
    expect(toUrl('/files/a?b', 'x=1')).toBe('/files/a%3Fb?x=1')
    expect(toUrl('/files/a#b', '')).toBe('/files/a%23b')
    expect(toUrl('/files/a?b', '')).not.toBe(toUrl('/files/a', 'b'))
  })

  it('maps distinct paths to distinct URLs, encoded or decoded', () => {
    expect(toUrl('/a%3Fb', '')).not.toBe(toUrl('/a?b', ''))
    expect(toUrl('/a b', '')).not.toBe(toUrl('/a%20b', ''))
  })

  it('keeps URLs ASCII: spaces, controls and non-ASCII characters are percent-encoded', () => {
    expect(toUrl('/search/日本 茶\u0001', '')).toBe('/search/%E6%97%A5%E6%9C%AC%20%E8%8C%B6%01')
    expect(toUrl('/products/42', '')).toBe('/products/42')
  })
})

describe('lambda request | payload version', () => {
  it('tells the formats apart, and anything else from both', () => {
    expect(payloadVersion(eventV1())).toBe(1)
    expect(payloadVersion({ ...eventV1(), version: '1.0' })).toBe(1)
    expect(payloadVersion(eventV2())).toBe(2)
    expect(payloadVersion({ source: 'serverless-plugin-warmup' })).toBeUndefined()
    expect(payloadVersion({ Records: [] })).toBeUndefined()
    expect(payloadVersion(null)).toBeUndefined()
  })
})
