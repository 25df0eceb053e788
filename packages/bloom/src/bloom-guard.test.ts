import { type CacheStore, createCache, memoryStore } from '@cacheguard/core'
import { describe, expect, it } from 'vitest'
import { bloomGuard } from './bloom-guard.js'
import { memoryBloom } from './memory-bloom.js'

/** A store that counts its reads, to prove what reaches it. */
function countingStore(): CacheStore & { reads: number } {
  const store = memoryStore()
  const counted = {
    ...store,
    reads: 0,
    get(key: string) {
      counted.reads++
      return store.get(key)
    },
  }
  return counted
}

describe('bloom guard | penetration', () => {
  it('answers "not found" for a key never added, without the store or the loader', async () => {
    const filter = memoryBloom({ capacity: 1000 })
    filter.add('user:1')
    const store = countingStore()
    const cache = createCache({ store, guards: [bloomGuard({ filter })] })
    const blocked: string[] = []
    cache.on('blocked', ({ key, guard }) => blocked.push(`${guard}:${key}`))
    let loads = 0
    const load = (id: number) => () => {
      loads++
      return { id }
    }
    expect(await cache.getOrSet('user:2', load(2))).toBeUndefined()
    expect(await cache.getOrSet('user:1', load(1))).toEqual({ id: 1 })
    expect(loads).toBe(1)
    expect(store.reads).toBe(1)
    expect(blocked).toEqual(['bloom:user:2'])
    expect(cache.stats()).toMatchObject({ blocked: 1, loads: 1 })
  })

  it('maps keys to members, and leaves unmapped key families alone', async () => {
    const filter = memoryBloom({ capacity: 1000 })
    filter.add('42')
    const cache = createCache({
      guards: [
        bloomGuard({ filter, key: (k) => (k.startsWith('user:') ? k.slice(5) : undefined) }),
      ],
    })
    expect(await cache.getOrSet('user:42', () => 'ada')).toBe('ada')
    expect(await cache.getOrSet('user:43', () => 'nobody')).toBeUndefined()
    expect(await cache.getOrSet('config:flags', () => 'on')).toBe('on')
  })

  it('adds members on successful loads and on set, never on "not found"', async () => {
    const filter = memoryBloom({ capacity: 1000 })
    const guard = bloomGuard({ filter })
    const cache = createCache({ guards: [guard] })
    await cache.set('user:7', { id: 7 })
    expect(filter.has('user:7')).toBe(true)
    // A filter that knows nothing blocks before the loader; a load through another cache adds.
    const open = createCache({ guards: [{ name: 'pass', written: guard.written! }] })
    await open.getOrSet('user:8', () => ({ id: 8 }))
    await open.getOrSet('user:9', () => null)
    expect(filter.has('user:8')).toBe(true)
    expect(filter.has('user:9')).toBe(false)
  })

  it('lets 100,000 unknown ids reach the loader at most 1.1 x errorRate x 100,000 times', async () => {
    const errorRate = 0.01
    const filter = memoryBloom({ capacity: 100_000, errorRate })
    filter.add(Array.from({ length: 100_000 }, (_, i) => String(i)))
    const cache = createCache({
      store: memoryStore({ maxEntries: 200_000 }),
      guards: [bloomGuard({ filter, key: (k) => k.slice(5) })],
    })
    let loads = 0
    // Fixed ids, not random ones: the filter's hashing is deterministic, so the count is the same
    // on every run, and a run never fails by the luck of the draw.
    const ids = Array.from({ length: 100_000 }, (_, i) => `user:unknown-${i}`)
    for (let i = 0; i < ids.length; i += 1000) {
      await Promise.all(
        ids.slice(i, i + 1000).map((id) =>
          cache.getOrSet(id, () => {
            loads++
            return null
          }),
        ),
      )
    }
    expect(loads).toBeLessThanOrEqual(1.1 * errorRate * 100_000)
    expect(cache.stats().blocked + loads).toBe(100_000)
  })
})
