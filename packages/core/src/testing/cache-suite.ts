import { describe, expect, it } from 'vitest'
import { createCache } from '../create-cache.js'
import type { CacheOptions } from '../options.js'
import { type ConformanceOptions, freshKey } from './store-suite.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A cache over the store under test. The tests count loads exactly, so a store call held up by a
 * stalled event loop must not time out (the default is 500 ms) and turn into an extra load.
 */
const cacheOver = (options: Omit<CacheOptions, 'storeTimeout'>) =>
  createCache({ storeTimeout: '5s', ...options })

/** Registers the tests of a cache over the store: single-flight, corrupt entries, expiry, jitter. */
export function describeCacheOverStore(options: ConformanceOptions): void {
  describe(`${options.name} | cache over the store`, () => {
    for (const callers of [10, 100, 1000]) {
      it(`runs the loader once for ${callers} concurrent misses`, async () => {
        const cache = cacheOver({ store: await options.store() })
        const key = freshKey(`flight-${callers}`)
        let loads = 0
        const loader = async () => {
          loads++
          await sleep(20)
          return { id: key, tags: ['a', 'b'] }
        }
        const results = await Promise.all(
          Array.from({ length: callers }, () => cache.getOrSet(key, loader)),
        )
        expect(loads).toBe(1)
        for (const result of results) expect(result).toEqual({ id: key, tags: ['a', 'b'] })
        // Each caller owns its copy: mutating one result never reaches another.
        results[0]!.tags.push('mutated')
        expect(results[1]!.tags).toEqual(['a', 'b'])
        expect(cache.stats()).toMatchObject({ loads: 1, coalesced: callers - 1, misses: callers })
        expect(await cache.getOrSet(key, loader)).toEqual({ id: key, tags: ['a', 'b'] })
        expect(loads).toBe(1)
      })
    }

    it('hands a loader rejection to every waiting caller and leaves the key free', async () => {
      const cache = cacheOver({ store: await options.store() })
      const key = freshKey('rejection')
      let calls = 0
      const failing = async () => {
        calls++
        await sleep(10)
        throw new Error('database down')
      }
      const settled = await Promise.allSettled(
        Array.from({ length: 50 }, () => cache.getOrSet(key, failing)),
      )
      expect(calls).toBe(1)
      expect(
        settled.every((s) => s.status === 'rejected' && s.reason.message === 'database down'),
      ).toBe(true)
      expect(await cache.getOrSet(key, () => 'recovered')).toBe('recovered')
      expect(calls).toBe(1)
    })

    it('reads a corrupt entry as a miss, counts it, and replaces it with the next load', async () => {
      const store = await options.store()
      const cache = cacheOver({ store })
      for (const [i, garbage] of [
        '{"written":"by another program"}',
        'cg1|123',
        'cg1|1|9999999999999|v{trunc',
      ].entries()) {
        const key = freshKey(`corrupt-${i}`)
        await store.set(key, garbage, 10_000)
        expect(await cache.getOrSet(key, () => ({ fixed: i }))).toEqual({ fixed: i })
        expect(await store.get(key)).not.toBe(garbage)
        expect(await cache.getOrSet(key, () => ({ fixed: -1 }))).toEqual({ fixed: i })
      }
      expect(cache.stats().corrupt).toBe(3)
    })

    it('remembers "not found" for negativeTtl and then asks again', async () => {
      // Long enough that the second read comes within it on a loaded machine.
      const negativeTtl = 500
      const cache = cacheOver({ store: await options.store(), negativeTtl, jitter: 0 })
      const key = freshKey('negative')
      let calls = 0
      const loader = () => {
        calls++
        return calls === 1 ? null : 'appeared'
      }
      expect(await cache.getOrSet(key, loader)).toBeUndefined()
      expect(await cache.getOrSet(key, loader)).toBeUndefined()
      expect(calls).toBe(1)
      await sleep(negativeTtl + 300)
      expect(await cache.getOrSet(key, loader)).toBe('appeared')
      expect(calls).toBe(2)
    })

    it('serves a stale value within grace while one background refresh runs', async () => {
      const cache = cacheOver({ store: await options.store(), ttl: 50, grace: '10s', jitter: 0 })
      const key = freshKey('grace')
      let version = 0
      const loader = async () => {
        version++
        await sleep(30)
        return { version }
      }
      expect(await cache.getOrSet(key, loader)).toEqual({ version: 1 })
      await sleep(100)
      // The refresh writes its value fresh for a minute, so what follows holds on a slow machine.
      const stale = await Promise.all(
        Array.from({ length: 20 }, () => cache.getOrSet(key, loader, { ttl: '1m' })),
      )
      expect(stale.every((v) => v?.version === 1)).toBe(true)
      const deadline = Date.now() + 5000
      while ((await cache.get<{ version: number }>(key))?.version !== 2 && Date.now() < deadline) {
        await sleep(5)
      }
      expect(version).toBe(2)
      expect(await cache.getOrSet(key, loader)).toEqual({ version: 2 })
      expect(version).toBe(2)
    })

    it('writes every TTL jittered within [1 - jitter, 1 + jitter] when the store reports TTLs', async () => {
      const store = await options.store()
      if (!store.ttl) return
      const cache = cacheOver({ store, ttl: '60s', jitter: 0.1 })
      const count = options.jitterKeys ?? 200
      const keys = Array.from({ length: count }, (_, i) => freshKey(`jitter-${i}`))
      const started = Date.now()
      await Promise.all(keys.map((key, i) => cache.set(key, { i })))
      const ttls = (await Promise.all(keys.map((key) => store.ttl!(key)))) as number[]
      // A TTL read back has lost the time since its write: a second is allowed, or however long
      // the writes and reads took on a busy machine.
      const lost = Math.max(1000, Date.now() - started)
      for (const ttl of ttls) {
        expect(ttl).toBeGreaterThanOrEqual(54_000 - lost)
        expect(ttl).toBeLessThanOrEqual(66_000)
      }
      // Spread over the window, not bunched: both outer fifths and the middle are used.
      expect(ttls.some((t) => t < 56_400)).toBe(true)
      expect(ttls.some((t) => t > 63_600)).toBe(true)
      expect(ttls.some((t) => t > 58_800 && t < 61_200)).toBe(true)
      for (const key of keys) await store.delete(key)
    })
  })
}
