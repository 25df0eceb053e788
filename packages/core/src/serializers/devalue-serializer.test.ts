import { isDeepStrictEqual } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createCache } from '../create-cache.js'
import type { CacheEvents } from '../events.js'
import { memoryStore } from '../memory-store.js'
import { devalueSerializer } from './index.js'

/** Every kind the serializer's doc promises to bring back as itself (test/serializers-redis.test.ts has the same over Redis). */
const roundTripCases: Array<[string, unknown]> = [
  ['a Date', { at: new Date('2026-11-21T10:00:00.000Z') }],
  [
    'a Map',
    {
      prefs: new Map<unknown, unknown>([
        ['theme', 'dark'],
        [2, { nested: true }],
      ]),
    },
  ],
  ['a Set', { roles: new Set(['admin', 'poet']) }],
  ['a BigInt', { quota: 10n ** 20n }],
  ['an undefined property', { a: undefined, b: 1 }],
  ['undefined at the top level', undefined],
  ['a RegExp', { pattern: /^user:\d+$/giu }],
  ['-0, NaN and -Infinity', [-0, Number.NaN, Number.NEGATIVE_INFINITY]],
  // biome-ignore lint/suspicious/noSparseArray: the hole is the case under test
  ['a sparse array', [1, , 3]],
  ['a Uint8Array', { bytes: new Uint8Array([0, 1, 255]) }],
  ['a Float64Array', { samples: new Float64Array([1.5, -0, Number.NaN]) }],
  ['a BigInt64Array', { ids: new BigInt64Array([1n, -2n]) }],
  ['an ArrayBuffer', { raw: new Uint8Array([9, 8, 7]).buffer }],
  ['a Buffer', { avatar: Buffer.from('cacheguard') }],
  ['a null-prototype object', Object.assign(Object.create(null), { a: 1 })],
  ['a URL', { home: new URL('https://example.com/a?b=1') }],
  [
    'a repeated reference',
    (() => {
      const shared = { id: 1 }
      return { a: shared, b: shared }
    })(),
  ],
]

/** Deep-equal with prototypes, -0 and holes, as `node:util`'s strict comparison tells them. */
function expectSame(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toStrictEqual(expected)
  expect(isDeepStrictEqual(actual, expected)).toBe(true)
}

describe('devalueSerializer | round trips over memoryStore', () => {
  it.each(roundTripCases)(
    'brings back %s as itself through set/get and getOrSet',
    async (_, value) => {
      const cache = createCache({ store: memoryStore(), serializer: devalueSerializer })
      await cache.set('k', value)
      expectSame(await cache.get('k'), value)
      // undefined from a loader means "not found": it is the one case getOrSet treats apart.
      if (value === undefined) return
      expectSame(await cache.getOrSet('loaded', () => value), value)
      expectSame(await cache.getOrSet('loaded', () => 'not called'), value)
    },
  )
})

describe("devalueSerializer | values: 'frozen'", () => {
  it.each(roundTripCases)('brings back %s as itself, read after read', async (_, value) => {
    const cache = createCache({
      store: memoryStore(),
      serializer: devalueSerializer,
      values: 'frozen',
    })
    const errors: Array<CacheEvents['error']> = []
    cache.on('error', (event) => errors.push(event))
    await cache.set('k', value)
    expectSame(await cache.get('k'), value)
    expectSame(await cache.get('k'), value)
    // A typed array cannot be frozen: it is served as it is, never reported as corrupt.
    expect(errors).toEqual([])
    expect(cache.stats()).toMatchObject({ hits: 2, corrupt: 0 })
  })
})

describe("devalueSerializer | values: 'frozen', values with methods that change them", () => {
  it('keeps a Map, Date or typed array one caller changed from reaching the next read', async () => {
    const cache = createCache({
      store: memoryStore(),
      serializer: devalueSerializer,
      values: 'frozen',
    })
    type Rich = { m: Map<string, number>; d: Date; b: Uint8Array; plain: { n: number } }
    await cache.set('k', {
      m: new Map([['a', 1]]),
      d: new Date(0),
      b: new Uint8Array([1]),
      plain: { n: 1 },
    })
    const first = (await cache.get<Rich>('k'))!
    first.m.set('a', 999)
    first.d.setTime(123_456)
    first.b[0] = 42
    expect(Object.isFrozen(first.plain)).toBe(true)
    for (const next of [await cache.get<Rich>('k'), await cache.getOrSet<Rich>('k', () => null)]) {
      expect(next!.m.get('a')).toBe(1)
      expect(next!.d.getTime()).toBe(0)
      expect(next!.b[0]).toBe(1)
    }
  })
})

describe('devalueSerializer | refusals and foreign entries', () => {
  class User {
    constructor(readonly id: number) {}
  }

  it.each([
    ['a class instance', { owner: new User(1) }, 'at `owner`'],
    ['an Error', { last: new Error('x') }, 'at `last`'],
    ['a function', { fn: () => 1 }, 'at `fn`'],
  ])('refuses %s with CG_SERIALIZE, naming where it is', async (_, value, where) => {
    const cache = createCache({ store: memoryStore(), serializer: devalueSerializer })
    const error = await cache.set('k', value).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'CG_SERIALIZE', key: 'k' })
    expect((error as Error).message).toContain(where)
  })

  it('reads an entry jsonSerializer wrote as a corrupt entry, so a miss the loader replaces', async () => {
    // Untagged, jsonSerializer's `[1]` is valid devalue text for the number 1: a wrong value.
    const store = memoryStore()
    await createCache({ store }).set('k', [1])
    const cache = createCache({ store, serializer: devalueSerializer })
    const errors: Array<CacheEvents['error']> = []
    cache.on('error', (event) => errors.push(event))
    expect(await cache.getOrSet('k', () => new Set([1]))).toEqual(new Set([1]))
    expect(errors.map((event) => event.error.code)).toEqual(['CG_CORRUPT_ENTRY'])
  })
})
