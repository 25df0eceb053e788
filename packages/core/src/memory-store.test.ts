import { describe, expect, it } from 'vitest'
import { memoryStore } from './memory-store.js'
import { runStoreConformance } from './testing/index.js'

for (const policy of ['lru', 'lfu', 'fifo'] as const) {
  runStoreConformance({ name: `memoryStore (${policy})`, store: () => memoryStore({ policy }) })
}

describe('memory store | eviction', () => {
  const fill = async (policy: 'lru' | 'lfu' | 'fifo') => {
    const store = memoryStore({ maxEntries: 3, policy })
    await store.set('a', 'A', 10_000)
    await store.set('b', 'B', 10_000)
    await store.set('c', 'C', 10_000)
    return store
  }
  const present = async (store: Awaited<ReturnType<typeof fill>>) =>
    (await store.getMany!(['a', 'b', 'c', 'd'])).map((v) => v !== undefined)

  it('lru evicts the least recently read key', async () => {
    const store = await fill('lru')
    await store.get('a')
    await store.set('d', 'D', 10_000)
    expect(await present(store)).toEqual([true, false, true, true])
  })

  it('lfu evicts the least frequently read key', async () => {
    const store = await fill('lfu')
    for (let i = 0; i < 3; i++) await store.get('a')
    await store.get('c')
    await store.set('d', 'D', 10_000)
    expect(await present(store)).toEqual([true, false, true, true])
  })

  it('lfu keeps evicting correctly after deletes empty the lowest bucket', async () => {
    const store = await fill('lfu')
    await store.get('a')
    await store.get('b')
    await store.delete('c')
    await store.get('a')
    await store.set('d', 'D', 10_000)
    await store.set('e', 'E', 10_000)
    expect((await store.getMany!(['a', 'b', 'd', 'e'])).map((v) => v !== undefined)).toEqual([
      true,
      true,
      false,
      true,
    ])
  })

  it('fifo evicts the oldest write whatever was read', async () => {
    const store = await fill('fifo')
    await store.get('a')
    await store.set('d', 'D', 10_000)
    expect(await present(store)).toEqual([false, true, true, true])
  })

  it('rejects a bad policy or size with a TypeError that says what was given', () => {
    expect(() => memoryStore({ policy: 'random' as never })).toThrow(
      "Expected `policy` to be 'lru', 'lfu' or 'fifo', got `\"random\"` (string)",
    )
    expect(() => memoryStore({ maxEntries: 0 })).toThrow(
      'Expected `maxEntries` to be an integer from 1 or more, got `0` (number)',
    )
  })
})
