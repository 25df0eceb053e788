import { describe, expect, it } from 'vitest'
import { freshened, validatorsOf } from './revalidation.js'
import type { StoredResponse } from './stored.js'

const stored: StoredResponse = {
  s: 200,
  h: [
    ['etag', '"a"'],
    ['last-modified', 'Wed, 01 Jan 2020 00:00:00 GMT'],
    ['content-type', 'text/plain'],
    ['content-length', '5'],
    ['cache-control', 'max-age=1'],
    ['x-kept', 'yes'],
  ],
  b: Buffer.from('hello').toString('base64'),
  t: 0,
  f: 1000,
}

describe('revalidation (RFC 9111 §4.3)', () => {
  it('asks with the stored ETag and Last-Modified', () => {
    expect(validatorsOf(stored)).toEqual({
      'if-none-match': '"a"',
      'if-modified-since': 'Wed, 01 Jan 2020 00:00:00 GMT',
    })
    expect(validatorsOf({ ...stored, h: [['content-type', 'text/plain']] })).toBeUndefined()
  })

  it("updates the stored fields from a 304, but the body's own and the validator it matched", () => {
    const updated = freshened(stored, {
      status: 304,
      headers: {
        etag: '"b"',
        'content-type': 'text/plain;charset=utf-8',
        'content-length': '0',
        'cache-control': 'max-age=3600',
        'x-new': ['1', '2'],
      },
      body: new Uint8Array(0),
    })
    const fields = Object.fromEntries(updated.h.filter(([name]) => name !== 'x-new'))
    expect(fields).toEqual({
      etag: '"a"',
      'last-modified': 'Wed, 01 Jan 2020 00:00:00 GMT',
      'content-type': 'text/plain;charset=utf-8',
      'content-length': '5',
      'cache-control': 'max-age=3600',
      'x-kept': 'yes',
    })
    expect(updated.h.filter(([name]) => name === 'x-new')).toEqual([
      ['x-new', '1'],
      ['x-new', '2'],
    ])
    expect([updated.s, updated.b]).toEqual([200, stored.b])
  })
})
