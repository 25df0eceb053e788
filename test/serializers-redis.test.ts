import { isDeepStrictEqual } from 'node:util'
import { devalueSerializer } from '@cacheguard/core/serializers'
import { afterAll, describe, expect, it } from 'vitest'
import { createCache, redisStore } from './helpers/packages.js'
import { connectRedis, uniquePrefix } from './helpers/redis.js'

const redis = connectRedis()
const prefix = uniquePrefix('serializers')

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

// The same kinds as packages/core/src/serializers/devalue-serializer.test.ts, here through a real
// Redis: the payload travels as a Redis string and back, so a byte the serializer wrote that
// ioredis or Redis would not keep as is (a lone surrogate, a NUL) would show here.
const cases: Array<[string, unknown]> = [
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
  ['a RegExp', { pattern: /^user:\d+$/giu }],
  ['-0, NaN and -Infinity', [-0, Number.NaN, Number.NEGATIVE_INFINITY]],
  ['a Uint8Array of every byte', { bytes: Uint8Array.from({ length: 256 }, (_, i) => i) }],
  ['a Float64Array', { samples: new Float64Array([1.5, -0, Number.NaN]) }],
  ['an ArrayBuffer', { raw: new Uint8Array([0, 9, 255]).buffer }],
  ['a Buffer', { avatar: Buffer.from([0, 0xff, 0xfe, 0x80]) }],
  ['strings with NUL and non-BMP characters', { text: 'a\u0000b\u{1F600}é' }],
]

/** Deep-equal with prototypes and -0, as `node:util`'s strict comparison tells them; a diff if not. */
function expectSame(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toStrictEqual(expected)
  expect(isDeepStrictEqual(actual, expected)).toBe(true)
}

describe('devalueSerializer | round trips over Redis', () => {
  it.each(cases)('brings back %s as itself through redisStore', async (kind, value) => {
    const cache = createCache({
      store: redisStore(redis, { prefix }),
      serializer: devalueSerializer,
    })
    const key = `k:${kind}`
    await cache.set(key, value)
    expectSame(await cache.get(key), value)
    expectSame(await cache.getOrSet(`loaded:${kind}`, () => value), value)
    // A second cache on the same Redis reads what the first wrote: nothing is kept in process.
    const other = createCache({
      store: redisStore(redis, { prefix }),
      serializer: devalueSerializer,
    })
    expectSame(await other.get(key), value)
  })
})
