import { describe, expect, it } from 'vitest'
import { fromResultV1, fromResultV2, toResultV1, toResultV2 } from './response.js'

describe('lambda response | payload 1.0', () => {
  it('merges headers into multiValueHeaders as API Gateway does, names lower-cased', () => {
    const response = fromResultV1({
      statusCode: 200,
      headers: { 'Content-Type': 'text/plain', 'X-Count': 3, 'X-Tag': 'a' },
      multiValueHeaders: { 'x-tag': ['a', 'b'], 'Set-Cookie': ['a=1', 'b=2'], 'X-Flag': [true] },
      body: 'hello',
    })
    expect(response.status).toBe(200)
    expect(response.headers).toEqual({
      'content-type': 'text/plain',
      'x-count': '3',
      'x-tag': ['a', 'b'],
      'set-cookie': ['a=1', 'b=2'],
      'x-flag': 'true',
    })
    expect(Buffer.from(response.body).toString()).toBe('hello')
  })

  it('returns headers with several values in multiValueHeaders, the others in headers', () => {
    const result = toResultV1({
      status: 200,
      headers: { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], vary: ['accept'] },
      body: Buffer.from('hello'),
    })
    expect(result).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'text/plain', vary: 'accept' },
      multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] },
      body: 'hello',
      isBase64Encoded: false,
    })
  })

  it('rejects a result without a statusCode, as API Gateway does', () => {
    expect(() => fromResultV1({ body: 'x' })).toThrow(/Expected the handler to resolve/)
    expect(() => fromResultV1('x')).toThrow(/got `"x"` \(string\)/)
    expect(() => fromResultV1(undefined)).toThrow(/\(undefined\)/)
  })
})

describe('lambda response | payload 2.0', () => {
  it('sends a result without a statusCode as API Gateway does: 200, JSON', () => {
    const text = toResultV2(fromResultV2('Hello from Lambda!'))
    expect(text).toMatchObject({ statusCode: 200, body: 'Hello from Lambda!' })
    expect(text.headers).toEqual({ 'content-type': 'application/json' })
    expect(toResultV2(fromResultV2({ message: 'hi' })).body).toBe('{"message":"hi"}')
    expect(toResultV2(fromResultV2({ body: 'x' })).body).toBe('{"body":"x"}')
  })

  it('turns cookies into Set-Cookie headers and back, other repeated headers joined', () => {
    const response = fromResultV2({
      statusCode: 201,
      headers: { 'Set-Cookie': 'a=1', Link: '</a>; rel=preload' },
      cookies: ['b=2', 'c=3'],
    })
    expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2', 'c=3'])
    response.headers.link = ['</a>; rel=preload', '</b>; rel=preload']
    expect(toResultV2(response)).toEqual({
      statusCode: 201,
      headers: { link: '</a>; rel=preload, </b>; rel=preload' },
      cookies: ['a=1', 'b=2', 'c=3'],
      body: '',
      isBase64Encoded: false,
    })
  })
})

describe('lambda response | bodies', () => {
  it('decodes a base64 body to its bytes, and encodes it again on the way out', () => {
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80])
    for (const [from, to] of [
      [fromResultV1, toResultV1],
      [fromResultV2, toResultV2],
    ] as const) {
      const response = from({
        statusCode: 200,
        body: bytes.toString('base64'),
        isBase64Encoded: true,
      })
      expect(Buffer.from(response.body).equals(bytes)).toBe(true)
      const result = to(response)
      expect(result).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true })
      expect(result.headers).toEqual({})
    }
  })

  it('sends an empty body (a 304, a HEAD) as text', () => {
    const response = fromResultV2({ statusCode: 200, body: 'AAEC', isBase64Encoded: true })
    expect(toResultV2({ ...response, body: new Uint8Array(0) })).toMatchObject({
      body: '',
      isBase64Encoded: false,
    })
  })

  it('reads a view into a larger buffer by its own bytes only', () => {
    const pool = Buffer.from('xxhelloxx')
    const result = toResultV1({ status: 200, headers: {}, body: pool.subarray(2, 7) })
    expect(result.body).toBe('hello')
  })
})
