// getMany, setMany and deleteMany (issue 16, item 4) over memoryStore; the one batch they send to
// Redis is in test/many-keys-redis.test.ts.
import { describe, expect, it } from 'vitest'
import { createCache } from './create-cache.js'
import { CacheGuardError } from './errors.js'
import { memoryStore } from './memory-store.js'

describe('many keys | getMany', () => {
  it('answers in the order of the keys, undefined for absent, "not found" and stale, at each position of a duplicate', async () => {
    const cache = createCache({ store: memoryStore(), ttl: '1h' })
    await cache.set('a', { n: 1 })
    await cache.set('b', 'two')
    await cache.set('gone', null)
    await cache.set('old', 'stale', { ttl: 5, grace: '1h' })
    await new Promise((resolve) => setTimeout(resolve, 15))
    const values = await cache.getMany(['b', 'missing', 'a', 'gone', 'old', 'a'])
    expect(values).toEqual(['two', undefined, { n: 1 }, undefined, undefined, { n: 1 }])
    // Copies: one position's value is not another's.
    expect(values[2]).not.toBe(values[5])
    // A remembered "not found" is a hit, as for get.
    expect(cache.stats()).toMatchObject({ hits: 4, misses: 2 })
    expect(await cache.getMany([])).toEqual([])
  })

  it('rejects the whole call with CG_INVALID_KEY, naming the position, before anything is read', async () => {
    const cache = createCache({ store: memoryStore() })
    const error = await cache.getMany(['a', '', 'b']).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(CacheGuardError)
    expect((error as CacheGuardError).code).toBe('CG_INVALID_KEY')
    expect((error as Error).message).toContain('keys[1]: Expected the key to be a non-empty string')
    expect(cache.stats().misses).toBe(0)
    await expect(cache.getMany('a' as never)).rejects.toThrow('Expected `keys` to be an array')
  })
})

describe('many keys | setMany', () => {
  it('writes pairs or a Map with the same options, "not found" included', async () => {
    const cache = createCache({ store: memoryStore() })
    await cache.setMany([
      ['a', 1],
      ['b', { two: 2 }],
      ['c', null],
    ])
    await cache.setMany(
      new Map([
        ['d', 'four'],
        ['e', 'five'],
      ]),
      { ttl: 30, tags: ['short'] },
    )
    expect(await cache.getMany(['a', 'b', 'c', 'd', 'e'])).toEqual([
      1,
      { two: 2 },
      undefined,
      'four',
      'five',
    ])
    expect(await cache.has('c')).toBe(true)
    await cache.deleteTags(['short'])
    expect(await cache.getMany(['d', 'e', 'a'])).toEqual([undefined, undefined, 1])
  })

  it('writes nothing when a key is invalid or a value cannot be serialized', async () => {
    const cache = createCache({ store: memoryStore() })
    await expect(
      cache.setMany([
        ['a', 1],
        ['', 2],
      ]),
    ).rejects.toMatchObject({
      code: 'CG_INVALID_KEY',
      message: expect.stringContaining('entries[1]'),
    })
    await expect(
      cache.setMany([
        ['a', 1],
        ['b', new Map()],
      ]),
    ).rejects.toMatchObject({ code: 'CG_SERIALIZE' })
    expect(await cache.getMany(['a', 'b'])).toEqual([undefined, undefined])
    await expect(cache.setMany([['a']] as never)).rejects.toThrow(
      'Expected entries[0] to be a [key, value] pair',
    )
    await expect(cache.setMany(42 as never)).rejects.toThrow(
      'Expected `entries` to be [key, value] pairs or a Map',
    )
  })
})

describe('many keys | deleteMany', () => {
  it('removes every key and resolves how many were there', async () => {
    const cache = createCache({ store: memoryStore() })
    await cache.setMany([
      ['a', 1],
      ['b', 2],
    ])
    expect(await cache.deleteMany(['a', 'b', 'never'])).toBe(2)
    expect(await cache.getMany(['a', 'b'])).toEqual([undefined, undefined])
    expect(cache.stats().deletes).toBe(3)
    await expect(cache.deleteMany(['ok', 7 as never])).rejects.toMatchObject({
      code: 'CG_INVALID_KEY',
      message: expect.stringContaining('keys[1]'),
    })
  })

  it('rejects after close(), as every call does', async () => {
    const cache = createCache({ store: memoryStore() })
    await cache.close()
    for (const call of [
      () => cache.getMany(['a']),
      () => cache.setMany([['a', 1]]),
      () => cache.deleteMany(['a']),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'CG_CLOSED' })
    }
  })
})
