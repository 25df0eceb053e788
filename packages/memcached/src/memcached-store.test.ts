import { createHash } from 'node:crypto'
import { type CacheEvents, createCache, ValueTooLargeError } from '@cacheguard/core'
import { freshKey, runStoreConformance } from '@cacheguard/core/testing'
import memjs, { type Client } from 'memjs'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type MemcachedServer,
  memcachedCommand,
  startMemcachedServer,
} from '../../../test/helpers/memcached-server.js'
import { expiration } from './internal/item.js'
import { memcachedStore } from './memcached-store.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const quiet = { log: () => {} }
const servers: MemcachedServer[] = []
const clients: Client[] = []

/** A memcached of this file's own, and a memjs client to it, both stopped after the file. */
async function memcached(maxItemSize?: string) {
  const server = await startMemcachedServer(maxItemSize === undefined ? {} : { maxItemSize })
  servers.push(server)
  const client = memjs.Client.create(server.url, { logger: quiet })
  clients.push(client)
  return { server, client }
}

afterAll(async () => {
  for (const client of clients) client.close()
  await Promise.all(servers.map((server) => server.stop()))
})

const { server, client } = await memcached()
const prefix = 'cgtest:'
const store = memcachedStore(client, { prefix })
/** The item memcached holds under `memcachedKey`, read past the store. */
const raw = async (memcachedKey: string) => (await client.get(memcachedKey)).value?.toString()
/** The remaining TTL memcached reports for `memcachedKey`, in seconds (meta command `mg <key> t`). */
const remainingSeconds = async (memcachedKey: string) => {
  const answer = await memcachedCommand(server.port, `mg ${memcachedKey} t`)
  return Number(/^HD t(-?\d+)$/.exec(answer)?.[1])
}
const hashed = (key: string) => `${prefix}#${createHash('sha256').update(key).digest('base64url')}`

runStoreConformance({ name: 'memcachedStore', store: () => store })

describe('memcached store | keys', () => {
  it('keeps a short printable key as it is, behind the prefix', async () => {
    const key = freshKey('kept:ключ:🔑')
    await store.set(key, 'as is', 10_000)
    expect(await raw(prefix + key)).toMatch(/^\d{13}:as is$/)
  })

  it('round-trips keys Memcached cannot take (too long, spaces, control characters) under a hash', async () => {
    const keys = [
      `${freshKey('long')}:${'x'.repeat(300)}`,
      `${freshKey('unicode')}:${'🔑'.repeat(70)}`,
      `${freshKey('space')} a b`,
      `${freshKey('tab')}\tt`,
      `${freshKey('newline')}\r\nn`,
      `${freshKey('nul')}\0n`,
      `${freshKey('del')}\x7f`,
      `#${freshKey('hash-mark')}`,
      '',
    ]
    for (const [i, key] of keys.entries()) await store.set(key, `value ${i}`, 10_000)
    for (const [i, key] of keys.entries()) {
      expect(await store.get(key)).toBe(`value ${i}`)
      expect(await raw(hashed(key))).toMatch(new RegExp(`^\\d{13}:value ${i}$`))
    }
    // A key at the limit is kept, one byte more is hashed.
    const room = 250 - prefix.length
    const atLimit = freshKey('limit').padEnd(room, 'x')
    const overLimit = `${atLimit}x`
    await store.set(atLimit, 'at', 10_000)
    await store.set(overLimit, 'over', 10_000)
    expect(await raw(prefix + atLimit)).toMatch(/:at$/)
    expect(await raw(hashed(overLimit))).toMatch(/:over$/)
    expect(await store.get(atLimit)).toBe('at')
  })

  it('never lets two keys meet: not a key and its hash, not lone surrogates UTF-8 would merge', async () => {
    const base = freshKey('collide')
    const spaced = `${base} spaced`
    // The key that looks like the hash of another one is hashed itself.
    const lookalike = hashed(spaced).slice(prefix.length)
    const pairs = [
      [spaced, lookalike],
      [`${base}:${'y'.repeat(260)}`, `${base}:${'y'.repeat(261)}`],
      [`${base}:\uD800`, `${base}:\uD801`],
      [`${base}:\uDC00`, `${base}:\uFFFD`],
      [`${base} a`, `${base}_a`],
    ]
    for (const [i, [a, b]] of pairs.entries()) {
      await store.set(a!, `a${i}`, 10_000)
      await store.set(b!, `b${i}`, 10_000)
    }
    for (const [i, [a, b]] of pairs.entries()) {
      expect(await store.get(a!)).toBe(`a${i}`)
      expect(await store.get(b!)).toBe(`b${i}`)
    }
  })
})

describe('memcached store | values over the item size limit', () => {
  it('refuses them with CG_VALUE_TOO_LARGE before sending, and keeps what was there', async () => {
    const key = freshKey('too-large')
    await store.set(key, 'small', 10_000)
    const error = await store.set(key, 'x'.repeat(1024 * 1024), 10_000).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValueTooLargeError)
    expect(error).toMatchObject({ code: 'CG_VALUE_TOO_LARGE', key, bytes: 1024 * 1024 })
    expect(await store.get(key)).toBe('small')
  })

  it('counts UTF-8 bytes and the item overhead: the largest value that fits is written', async () => {
    const key = freshKey('largest')
    const refused = (await store.set(key, '€'.repeat(400_000), 10_000).catch((e) => e)) as {
      bytes: number
      limit: number
    }
    expect(refused).toMatchObject({ code: 'CG_VALUE_TOO_LARGE', bytes: 1_200_000 })
    // 1 MB less the key, the 14-byte expiry header and Memcached's 59 bytes per item.
    expect(refused.limit).toBe(1024 * 1024 - 59 - Buffer.byteLength(prefix + key) - 14)
    const largest = 'y'.repeat(refused.limit - 1) + 'z'
    await store.set(key, largest, 10_000)
    expect(await store.get(key)).toBe(largest)
    await expect(store.set(key, `${largest}!`, 10_000)).rejects.toMatchObject({
      code: 'CG_VALUE_TOO_LARGE',
      limit: refused.limit,
    })
  })

  it('rejects cache.set with it; getOrSet still answers the loaded value and reports the write', async () => {
    const cache = createCache({ store, breaker: { failures: 1, openFor: '1m' } })
    const errors: Array<CacheEvents['error']> = []
    cache.on('error', (event) => errors.push(event))
    const huge = 'z'.repeat(2 * 1024 * 1024)
    const key = freshKey('cache-too-large')
    await expect(cache.set(key, huge)).rejects.toMatchObject({ code: 'CG_VALUE_TOO_LARGE' })
    let loads = 0
    const load = () => {
      loads++
      return huge
    }
    expect(await cache.getOrSet(key, load)).toBe(huge)
    expect(await cache.getOrSet(key, load)).toBe(huge)
    // Nothing was stored, so each call loads; the breaker (1 failure opens it) stays closed.
    expect(loads).toBe(2)
    expect(errors.map((e) => `${e.operation}:${e.error.code}`)).toEqual([
      'write:CG_VALUE_TOO_LARGE',
      'write:CG_VALUE_TOO_LARGE',
      'write:CG_VALUE_TOO_LARGE',
    ])
    expect(await cache.getOrSet(freshKey('small'), () => 'fine')).toBe('fine')
    expect(cache.stats().errors).toBe(3)
  })

  it("types Memcached's own refusal the same way when its -I is below maxValueBytes", async () => {
    const small = await memcached('512k')
    const smallStore = memcachedStore(small.client)
    const key = freshKey('server-refusal')
    await smallStore.set(key, 'before', 10_000)
    const error = await smallStore.set(key, 'x'.repeat(600_000), 10_000).catch((e) => e)
    expect(error).toBeInstanceOf(ValueTooLargeError)
    expect(error).toMatchObject({ code: 'CG_VALUE_TOO_LARGE', key, bytes: 600_000 })
    expect(error.message).toMatch(/-I\) is below `maxValueBytes`/)
    // Memcached drops the previous item rather than keep a stale one; the connection stays usable.
    expect(await smallStore.get(key)).toBeUndefined()
    await smallStore.set(key, 'after', 10_000)
    expect(await smallStore.get(key)).toBe('after')
    // With maxValueBytes at the server's limit, the store refuses first.
    const matched = memcachedStore(small.client, { maxValueBytes: 512 * 1024 })
    await expect(matched.set(key, 'x'.repeat(600_000), 10_000)).rejects.toThrow(/over the store/)
    expect(await matched.get(key)).toBe('after')
  })
})

describe('memcached store | TTLs in seconds', () => {
  it('rounds a 1500 ms TTL up: reads end at 1.5 s, Memcached drops the item within 3 s', async () => {
    const key = freshKey('ttl-1500')
    const written = Date.now()
    await store.set(key, 'short', 1500)
    // ceil(1.5 s) = 2, plus the second Memcached's clock may take off: never 0, never "forever".
    expect([2, 3]).toContain(await remainingSeconds(prefix + key))
    expect(await store.get(key)).toBe('short')
    await sleep(1600 - (Date.now() - written))
    expect(await store.get(key)).toBeUndefined()
    // Memcached's clock ticks once a second: the item stays at least until 2 s (the whole
    // seconds), so it is still there unless this machine was too slow to look in time.
    const item = await raw(prefix + key)
    if (Date.now() - written < 1900) expect(item).toMatch(/:short$/)
    while ((await raw(prefix + key)) !== undefined) await sleep(20)
    const gone = Date.now() - written
    expect(gone).toBeGreaterThanOrEqual(1900)
    // Dropped by 3 s; seen by 4.5 s, with room for a busy machine's slow polling.
    expect(gone).toBeLessThan(4500)
  })

  it('sends a TTL over 30 days as a Unix time, so the item is kept for 40 days', async () => {
    const key = freshKey('ttl-40-days')
    const fortyDays = 40 * 24 * 3600 * 1000
    await store.set(key, 'long', fortyDays)
    expect(await store.get(key)).toBe('long')
    const seconds = await remainingSeconds(prefix + key)
    expect(seconds).toBeGreaterThanOrEqual(fortyDays / 1000 - 5)
    expect(seconds).toBeLessThanOrEqual(fortyDays / 1000 + 5)
    expect(await store.ttl!(key)).toBeGreaterThan(fortyDays - 5000)
  })

  it('keeps the 30-day boundary: up to 30 days relative, beyond it a Unix time', async () => {
    const thirtyDays = 30 * 24 * 3600 * 1000
    const now = Date.now()
    // Whole seconds rounded up, plus the second Memcached's clock may take off.
    expect(expiration(1, now)).toBe(2)
    expect(expiration(1500, now)).toBe(3)
    expect(expiration(thirtyDays - 1000, now)).toBe(2_592_000)
    expect(expiration(thirtyDays, now)).toBe(Math.ceil(now / 1000) + 2_592_001)
    for (const ttl of [thirtyDays - 1000, thirtyDays, thirtyDays + 1]) {
      const key = freshKey(`ttl-${ttl}`)
      await store.set(key, 'kept', ttl)
      expect(await store.get(key)).toBe('kept')
      // Memcached counts from its own clock, which moves once a second and lags real time: an
      // absolute expiry reads up to ~4 s past the TTL (rounding up, +1 s, the clock's lag).
      const seconds = await remainingSeconds(prefix + key)
      expect(seconds).toBeGreaterThanOrEqual(ttl / 1000 - 5)
      expect(seconds).toBeLessThanOrEqual(ttl / 1000 + 5)
    }
  })

  it('refuses a TTL that is not a positive number of milliseconds', async () => {
    for (const ttl of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(store.set(freshKey('bad-ttl'), 'v', ttl)).rejects.toThrow(
        /Expected `ttlMs` to be a positive number/,
      )
    }
  })
})

describe('memcached store | items it did not write', () => {
  it('returns them as they are, so that the cache counts them as corrupt and replaces them', async () => {
    const key = freshKey('foreign')
    await client.set(prefix + key, 'written by another program', { expires: 60 })
    expect(await store.get(key)).toBe('written by another program')
    expect(await store.ttl!(key)).toBe(Number.POSITIVE_INFINITY)
    const cache = createCache({ store })
    expect(await cache.getOrSet(key, () => ({ fixed: true }))).toEqual({ fixed: true })
    expect(cache.stats().corrupt).toBe(1)
    expect(await cache.getOrSet(key, () => ({ fixed: false }))).toEqual({ fixed: true })
  })
})

describe('memcached store | options', () => {
  it('refuses something that is not a memjs client', () => {
    expect(() => memcachedStore({} as never)).toThrow(/Expected `client` to be a memjs Client/)
    expect(() => memcachedStore(undefined as never)).toThrow(/got `undefined`/)
  })

  it('refuses a prefix Memcached cannot take, saying what it got', () => {
    expect(() => memcachedStore(client, { prefix: 'a b' })).toThrow(
      /Expected `prefix` to be a string of at most 205 bytes without spaces or control characters, got `"a b"` \(string\)/,
    )
    expect(() => memcachedStore(client, { prefix: 'p'.repeat(206) })).toThrow(/at most 205/)
    expect(() => memcachedStore(client, { prefix: 1 as never })).toThrow(/got `1` \(number\)/)
    expect(() => memcachedStore(client, { prefix: 'p'.repeat(205) })).not.toThrow()
  })

  it('refuses a maxValueBytes that is not an item size', () => {
    for (const maxValueBytes of [100, 1.5e6 + 0.5, '1m', 2 * 1024 ** 3]) {
      expect(() => memcachedStore(client, { maxValueBytes: maxValueBytes as number })).toThrow(
        /Expected `maxValueBytes` to be an integer from 1024 to 1073741824/,
      )
    }
  })

  it('refuses a client whose serializer would not give the bytes back', () => {
    const json = memjs.Client.create(server.url, {
      logger: quiet,
      serializer: {
        serialize: (_opcode, value, extras) => ({ value: JSON.stringify(value), extras }),
        deserialize: (_opcode, value, extras) => ({ value: JSON.parse(String(value)), extras }),
      },
    })
    expect(() => memcachedStore(json as never)).toThrow(/serializer to pass Buffers through/)
  })

  it('writes at the longest prefix, hashed keys included', async () => {
    const longest = memcachedStore(client, { prefix: `${'p'.repeat(204)}:` })
    const key = `${freshKey('long-prefix')} with a space`
    await longest.set(key, 'fits', 10_000)
    expect(await longest.get(key)).toBe('fits')
  })
})
