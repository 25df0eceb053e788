import { afterAll, describe, expect, it } from 'vitest'
import {
  type Cache,
  type CacheEvents,
  type CacheStore,
  createCache,
  memoryStore,
  redisStore,
} from './helpers/packages.js'
import { connectRedis, uniquePrefix } from './helpers/redis.js'

// Issue 13's fault probe. JSON.parse reads an array nested 20,000 deep, but freezing it recurses
// once per level and overflows the stack. Such an entry, written by another program, used to make
// every read reject with that RangeError and was never replaced; it must read as a corrupt entry
// (a miss) that the next load replaces.

const redis = connectRedis()
const prefix = uniquePrefix('frozen-deep')

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

const DEPTH = 20_000
const HOUR = 3_600_000

/**
 * The entry another program writes: a cg2 envelope (packages/core/src/internal/envelope.ts),
 * fresh for an hour, whose payload is valid JSON nested `DEPTH` deep.
 */
function deepEnvelope(): string {
  const now = Date.now()
  const payload = '['.repeat(DEPTH) + ']'.repeat(DEPTH)
  return `cg2|${now + HOUR}|${now + HOUR}|${now}|0|0|v${payload}`
}

interface Setup {
  cache: Cache
  /** Writes `text` under `key` past cacheguard, as another program would. */
  writeRaw(key: string, text: string): Promise<void>
  /** The text each tier holds under `key`. */
  readRaw(key: string): Promise<Array<string | null | undefined>>
}

const setups: Array<[string, () => Setup]> = [
  [
    'memoryStore',
    () => {
      const store = memoryStore()
      return {
        cache: createCache({ store, values: 'frozen', ttl: '1h' }),
        // The store's own `set`: what a second cache, or any code holding the store, writes.
        writeRaw: (key, text) => store.set(key, text, HOUR),
        readRaw: async (key) => [await store.get(key)],
      }
    },
  ],
  [
    'redisStore',
    () => ({
      cache: createCache({ store: redisStore(redis, { prefix }), values: 'frozen', ttl: '1h' }),
      writeRaw: async (key, text) => {
        await redis.set(`${prefix}${key}`, text, 'PX', HOUR)
      },
      readRaw: async (key) => [await redis.get(`${prefix}${key}`)],
    }),
  ],
  [
    'an l1 memoryStore over redisStore',
    () => {
      const l1: CacheStore = memoryStore()
      return {
        cache: createCache({
          store: redisStore(redis, { prefix }),
          l1,
          values: 'frozen',
          ttl: '1h',
        }),
        writeRaw: async (key, text) => {
          await redis.set(`${prefix}${key}`, text, 'PX', HOUR)
        },
        readRaw: async (key) => [await l1.get(key), await redis.get(`${prefix}${key}`)],
      }
    },
  ],
]

let keys = 0
const freshKey = () => `deep:${++keys}`

/** Collects the cache's `error` events. */
function errorsOf(cache: Cache): Array<CacheEvents['error']> {
  const errors: Array<CacheEvents['error']> = []
  cache.on('error', (event) => errors.push(event))
  return errors
}

/** Each error is a CG_CORRUPT_ENTRY for `key`, caused by the stack overflow of freezing. */
function expectCorrupt(errors: Array<CacheEvents['error']>, key: string, count: number): void {
  expect(errors.map((event) => [event.key, event.error.code])).toEqual(
    Array.from({ length: count }, () => [key, 'CG_CORRUPT_ENTRY']),
  )
  for (const event of errors) expect(event.error.cause).toBeInstanceOf(RangeError)
}

describe("values: 'frozen' | entry nested 20,000 deep written by another program", () => {
  describe.each(setups)('in %s', (_, open) => {
    it('get reads it as a CG_CORRUPT_ENTRY miss, then getOrSet loads once and replaces it', async () => {
      const { cache, writeRaw, readRaw } = open()
      const errors = errorsOf(cache)
      const key = freshKey()
      await writeRaw(key, deepEnvelope())

      await expect(cache.get(key)).resolves.toBeUndefined()
      expectCorrupt(errors, key, 1)
      expect(cache.stats()).toMatchObject({ corrupt: 1, misses: 1, hits: 0 })

      // After the get an l1 holds the entry too: getOrSet meets it there, before any store read.
      let loads = 0
      const value = { id: 1, tags: ['a'] }
      await expect(
        cache.getOrSet(key, () => {
          loads++
          return value
        }),
      ).resolves.toEqual(value)
      expect(loads).toBe(1)
      expectCorrupt(errors, key, 2)
      for (const text of await readRaw(key)) expect(text).toContain(JSON.stringify(value))

      const failing = () => Promise.reject(new Error('the replaced entry should be read'))
      await expect(cache.getOrSet(key, failing)).resolves.toEqual(value)
      await expect(cache.get(key)).resolves.toEqual(value)
      expect(cache.stats()).toMatchObject({ corrupt: 2, loads: 1, hits: 2 })
      expectCorrupt(errors, key, 2)
    })

    it('getOrSet with no read before loads once, and the next read is answered by the new entry', async () => {
      const { cache, writeRaw, readRaw } = open()
      const errors = errorsOf(cache)
      const key = freshKey()
      await writeRaw(key, deepEnvelope())

      let loads = 0
      const value = { id: 2 }
      const loader = () => {
        loads++
        return value
      }
      // Two callers at once: they share the one load.
      await expect(
        Promise.all([cache.getOrSet(key, loader), cache.getOrSet(key, loader)]),
      ).resolves.toEqual([value, value])
      expect(loads).toBe(1)
      expectCorrupt(errors, key, 1)
      for (const text of await readRaw(key)) expect(text).toContain(JSON.stringify(value))

      const failing = () => Promise.reject(new Error('the replaced entry should be read'))
      await expect(cache.getOrSet(key, failing)).resolves.toEqual(value)
      expect(Object.isFrozen(await cache.get(key))).toBe(true)
      expect(cache.stats()).toMatchObject({ corrupt: 1, loads: 1, coalesced: 1 })
      expectCorrupt(errors, key, 1)
    })
  })
})
