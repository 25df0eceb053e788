import { describe, expect, it } from 'vitest'
import { handlerHeaders } from './handler-headers.js'

const headers = {
  accept: 'text/html',
  'if-none-match': '"client"',
  'If-Modified-Since': 'Wed, 01 Jan 2020 00:00:00 GMT',
  'if-match': '"x"',
  'if-unmodified-since': 'Wed, 01 Jan 2020 00:00:00 GMT',
}

describe('handlerHeaders', () => {
  it("hides the client's validators from a GET or HEAD, in any case", () => {
    for (const method of ['GET', 'head']) {
      expect(handlerHeaders({ method, url: '/', headers })).toEqual({ accept: 'text/html' })
    }
  })

  it("puts the cache's validators in their place for a revalidation", () => {
    expect(
      handlerHeaders({ method: 'GET', url: '/', headers }, { 'if-none-match': '"v1"' }),
    ).toEqual({ accept: 'text/html', 'if-none-match': '"v1"' })
  })

  it('leaves other methods as they came', () => {
    expect(handlerHeaders({ method: 'PUT', url: '/', headers })).toBe(headers)
  })
})
