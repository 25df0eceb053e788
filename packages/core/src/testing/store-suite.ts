import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { encodeEntry } from '../internal/envelope.js'
import type { CacheStore } from '../store.js'

/** What the conformance suite needs to test a store. */
export interface ConformanceOptions {
  /** Names the store in test titles. */
  name: string
  /** Returns the store under test; called once per test (return the same store if creating one is costly). */
  store: () => CacheStore | Promise<CacheStore>
  /** Keys written with `ttl: 60s, jitter: 0.1` to check the spread of real TTLs. @default 200 */
  jitterKeys?: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A TTL long enough that a read right after the write still finds the value on a loaded machine
 * (an event-loop stall, a slow store), and short enough to wait out.
 */
const SHORT_TTL = 500

/**
 * Reads `key` every 20 ms until the store no longer has it, for up to 3 s; resolves whether it
 * went. Stores may expire lazily or a little late; none may keep a value past its TTL for long.
 */
async function expires(store: CacheStore, key: string): Promise<boolean> {
  const deadline = Date.now() + 3000
  while (((await store.get(key)) ?? undefined) !== undefined) {
    if (Date.now() > deadline) return false
    await sleep(20)
  }
  return true
}

/** A key no other test, run or process uses. */
export function freshKey(label: string): string {
  return `conformance:${label}:${randomUUID()}`
}

/**
 * Registers the tests of the raw `CacheStore` contract: get, set, delete, TTLs, batches.
 * An absent key may read as `undefined` or `null`.
 */
export function describeStoreContract(options: ConformanceOptions): void {
  describe(`${options.name} | store contract`, () => {
    it('answers undefined for a key that was never written', async () => {
      const store = await options.store()
      expect((await store.get(freshKey('missing'))) ?? undefined).toBeUndefined()
    })

    it('round-trips any string, byte for byte', async () => {
      const store = await options.store()
      const samples = [
        'plain',
        '',
        'cg1|1|2|v{"a":1}',
        'ünïcødé ✓ 🚀',
        'line\nbreak\r\n\t\0nul',
        'x'.repeat(256 * 1024),
      ]
      for (const [i, value] of samples.entries()) {
        const key = freshKey(`roundtrip-${i}`)
        await store.set(key, value, 10_000)
        expect(await store.get(key)).toBe(value)
      }
    })

    it('accepts keys with spaces, braces, colons and unicode', async () => {
      const store = await options.store()
      for (const suffix of ['with space', '{tag}:1', 'a:b:c', 'ключ', '🔑']) {
        const key = freshKey(suffix)
        await store.set(key, suffix, 10_000)
        expect(await store.get(key)).toBe(suffix)
      }
    })

    it('overwrites a value and its TTL', async () => {
      const store = await options.store()
      const key = freshKey('overwrite')
      await store.set(key, 'one', 50)
      await store.set(key, 'two', 10_000)
      await sleep(120)
      expect(await store.get(key)).toBe('two')
    })

    it('forgets a value once its TTL has passed', async () => {
      const store = await options.store()
      const key = freshKey('expiry')
      const written = Date.now()
      await store.set(key, 'short', SHORT_TTL)
      expect(await store.get(key)).toBe('short')
      expect(await expires(store, key)).toBe(true)
      // Not before its TTL: the read that found it gone came after the TTL had passed.
      expect(Date.now() - written).toBeGreaterThanOrEqual(SHORT_TTL)
    })

    it('deletes, answering whether something was removed', async () => {
      const store = await options.store()
      const key = freshKey('delete')
      await store.set(key, 'value', 10_000)
      expect(await store.delete(key)).toBe(true)
      expect((await store.get(key)) ?? undefined).toBeUndefined()
      expect(await store.delete(key)).toBe(false)
    })

    it('reports the remaining TTL when it supports ttl()', async () => {
      const store = await options.store()
      if (!store.ttl) return
      const key = freshKey('ttl')
      await store.set(key, 'value', 30_000)
      const ttl = await store.ttl(key)
      expect(ttl).toBeGreaterThan(25_000)
      expect(ttl).toBeLessThanOrEqual(30_000)
      expect(await store.ttl(freshKey('ttl-missing'))).toBeUndefined()
    })

    it('reads many keys in the order asked when it supports getMany()', async () => {
      const store = await options.store()
      if (!store.getMany) return
      const keys = Array.from({ length: 50 }, (_, i) => freshKey(`many-${i}`))
      for (const [i, key] of keys.entries()) if (i % 3 !== 0) await store.set(key, `v${i}`, 10_000)
      const answers = (await store.getMany(keys)).map((answer) => answer ?? undefined)
      expect(answers).toEqual(keys.map((_, i) => (i % 3 === 0 ? undefined : `v${i}`)))
      expect(await store.getMany([])).toEqual([])
    })

    it('writes many keys with their own TTLs when it supports setMany()', async () => {
      const store = await options.store()
      if (!store.setMany) return
      const entries = Array.from({ length: 50 }, (_, i) => ({
        key: freshKey(`setmany-${i}`),
        value: `v${i}`,
        ttlMs: i === 0 ? 60 : 10_000,
      }))
      await store.setMany(entries)
      expect(await store.get(entries[1]!.key)).toBe('v1')
      expect(await store.get(entries[49]!.key)).toBe('v49')
      expect(await expires(store, entries[0]!.key)).toBe(true)
      expect(await store.get(entries[2]!.key)).toBe('v2')
    })

    it('says it is ready once it has answered, when it supports ready()', async () => {
      const store = await options.store()
      if (!store.ready) return
      await store.set(freshKey('ready'), 'value', 10_000)
      // The breaker holds its probe while this is false: a connected store must say true.
      expect(store.ready()).toBe(true)
    })

    it('issues rising fences and refuses an older fenced write when it supports fencing', async () => {
      const store = await options.store()
      // The two come together: a store with one alone could not keep the promise.
      expect(store.nextFence === undefined).toBe(store.setFenced === undefined)
      if (!store.nextFence || !store.setFenced) return
      const key = freshKey('fence')
      const now = Date.now()
      const entry = (fence: number) =>
        encodeEntry({
          freshUntil: now + 10_000,
          staleUntil: now + 10_000,
          writtenAt: now,
          loadMs: 5,
          fence,
          payload: `"written with ${fence}"`,
        })
      const first = await store.nextFence(key)
      const second = await store.nextFence(key)
      expect(second).toBeGreaterThan(first)
      expect(await store.setFenced(key, entry(second), 10_000, second)).toBe(true)
      expect(await store.setFenced(key, entry(first), 10_000, first)).toBe(false)
      expect(await store.get(key)).toBe(entry(second))
      // The same holder may write again; a newer one overwrites.
      expect(await store.setFenced(key, entry(second), 10_000, second)).toBe(true)
      // A stored fence the counter never issued still bounds the next token from below.
      await store.set(key, entry(second + 1000), 10_000)
      expect(await store.nextFence(key)).toBeGreaterThan(second + 1000)
      // An absent key, or a text that is not an entry, accepts any fence; the TTL is kept.
      const other = freshKey('fence-foreign')
      await store.set(other, 'written by another program', 10_000)
      expect(await store.setFenced(other, entry(1), 60, 1)).toBe(true)
      expect(await store.setFenced(freshKey('fence-absent'), entry(1), 10_000, 1)).toBe(true)
      expect(await expires(store, other)).toBe(true)
    })
  })
}
