import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCache } from './create-cache.js'
import { memoryStore } from './memory-store.js'
import type { CacheOptions } from './options.js'

afterEach(() => {
  vi.restoreAllMocks()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const TTL = 1000
const LOAD_MS = 40
const READ_FOR = 5 * TTL

/**
 * Reads one hot key every 5 ms for 5 TTLs through a cache with a 1 s TTL and a 40 ms loader,
 * after one warm-up read; returns what the callers and the loader saw. The TTL leaves an early
 * refresh hundreds of ms to land, so a stalled event loop on a busy machine is no miss.
 */
async function readHotKey(earlyRefresh: NonNullable<CacheOptions['earlyRefresh']>) {
  const cache = createCache({ ttl: TTL, jitter: 0, earlyRefresh })
  let running = 0
  let peak = 0
  let calls = 0
  const loader = async () => {
    calls++
    running++
    peak = Math.max(peak, running)
    await sleep(LOAD_MS)
    running--
    return { version: calls }
  }
  await cache.getOrSet('hot', loader)
  const until = Date.now() + READ_FOR
  while (Date.now() < until) {
    await cache.getOrSet('hot', loader)
    await sleep(5)
  }
  return { stats: cache.stats(), calls, peak }
}

describe('early refresh', () => {
  it('with { threshold: 0.5 } keeps a hot key fresh through 5 TTLs: no caller waits for a load', async () => {
    const { stats, calls, peak } = await readHotKey({ threshold: 0.5 })
    // Only the warm-up read missed; every later read was a fresh hit, answered without a load.
    expect(stats.misses).toBe(1)
    expect(stats.staleHits).toBe(0)
    // One refresh per entry, one at a time, none before half its TTL: never more than one per
    // half TTL. And at least one per TTL: without them the entry would have expired.
    expect(peak).toBe(1)
    expect(calls).toBeLessThanOrEqual(1 + Math.ceil(READ_FOR / (TTL * 0.5)))
    expect(stats.earlyRefreshes).toBe(calls - 1)
    expect(calls).toBeGreaterThanOrEqual(5)
  })

  it('with { beta: 4 } (XFetch) keeps a hot key fresh through 5 TTLs, refreshing at most once per entry', async () => {
    const { stats, calls, peak } = await readHotKey({ beta: 4 })
    expect(stats.misses).toBe(1)
    expect(stats.staleHits).toBe(0)
    expect(peak).toBe(1)
    // Each entry lives at least its load time before a refresh can end it.
    expect(calls).toBeLessThanOrEqual(1 + Math.ceil(READ_FOR / LOAD_MS))
    expect(stats.earlyRefreshes).toBe(calls - 1)
    expect(calls).toBeGreaterThanOrEqual(5)
  })

  it.each([
    ['over memoryStore', () => createCache({ ttl: TTL, jitter: 0, earlyRefresh: { beta: 1 } })],
    [
      'with an l1 memory tier',
      () =>
        createCache({
          store: { ...memoryStore(), local: false },
          l1: memoryStore(),
          ttl: TTL,
          jitter: 0,
          earlyRefresh: { beta: 1 },
        }),
    ],
  ])('draws XFetch once per read %s: a draw that says "refresh" refreshes', async (_, create) => {
    const cache = create()
    let calls = 0
    const loader = async () => {
      calls++
      await sleep(LOAD_MS)
      return calls
    }
    await cache.getOrSet('k', loader)
    // The first draw says "due" (ln of ~1e-15 is -34.5: times a 40 ms load, past the 1 s TTL); any
    // second draw for the same read would say "not due".
    const random = vi
      .spyOn(Math, 'random')
      .mockReturnValueOnce(1 - 1e-15)
      .mockReturnValue(0)
    expect(await cache.getOrSet('k', loader)).toBe(1)
    random.mockRestore()
    await sleep(LOAD_MS * 3)
    expect(calls).toBe(2)
    expect(cache.stats().earlyRefreshes).toBe(1)
    expect(await cache.getOrSet('k', loader)).toBe(2)
  })

  it('never refreshes early an entry written by set, which has no measured load time (XFetch)', async () => {
    // A 1 s TTL outlives the 20 reads on a slow machine; beta 1000 would refresh any entry
    // with a load time at once.
    const cache = createCache({ ttl: TTL, jitter: 0, earlyRefresh: { beta: 1000 } })
    await cache.set('k', 'set')
    let calls = 0
    for (let i = 0; i < 20; i++) {
      await cache.getOrSet('k', () => {
        calls++
        return 'loaded'
      })
    }
    expect(calls).toBe(0)
    expect(cache.stats().misses).toBe(0)
  })
})
