import { describe, expect, it } from 'vitest'
import { decodeEntry, type Entry, encodeEntry, fenceOf } from './envelope.js'

const base: Entry = {
  freshUntil: 2000,
  staleUntil: 3000,
  writtenAt: 1000,
  loadMs: 12,
  fence: 7,
  payload: '{"a":1}',
}

describe('envelope | tags', () => {
  it('writes an entry without tags exactly as before tags existed', () => {
    expect(encodeEntry(base)).toBe('cg2|2000|3000|1000|12|7|v{"a":1}')
    expect(encodeEntry({ ...base, tags: [] })).toBe('cg2|2000|3000|1000|12|7|v{"a":1}')
  })

  it('round-trips tags holding any character, | and digits included', () => {
    const tags = ['user:42', 'a|b', '7|x', 'ünï 🚀', '|']
    const text = encodeEntry({ ...base, tags })
    expect(decodeEntry(text)).toEqual({ ...base, tags })
    expect(fenceOf(text)).toBe(7)
    const notFound = encodeEntry({ ...base, payload: undefined, tags: ['t'] })
    expect(decodeEntry(notFound)).toEqual({ ...base, payload: undefined, tags: ['t'] })
  })

  it.each([
    ['a count of 0', 'cg2|2000|3000|1000|12|7|t0|v1'],
    ['a count that is not a number', 'cg2|2000|3000|1000|12|7|tx|v1'],
    ['a tag longer than the text', 'cg2|2000|3000|1000|12|7|t1|99|abc'],
    ['fewer tags than counted', 'cg2|2000|3000|1000|12|7|t2|1|av1'],
    ['an empty tag', 'cg2|2000|3000|1000|12|7|t1|0|v1'],
  ])('reads %s as not an entry', (_, text) => {
    expect(typeof decodeEntry(text)).toBe('string')
  })
})
