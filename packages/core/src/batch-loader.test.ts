// batchLoader (issue 16, item 5): the per-key loaders of one tick's getOrSet calls join one
// loadMany call.
import { describe, expect, it } from 'vitest'
import { batchLoader } from './batch-loader.js'
import { createCache } from './create-cache.js'
import { memoryStore } from './memory-store.js'

/** A loadMany over a table of ids 0..999, recording each call's keys. */
function table() {
  const calls: string[][] = []
  const loadMany = async (ids: string[]) => {
    calls.push(ids)
    return new Map(ids.filter((id) => Number(id) < 1000).map((id) => [id, { id }]))
  }
  return { calls, loadMany }
}

describe('batchLoader', () => {
  it('merges 200 getOrSet calls of one tick into ceil(200 / maxBatch) loadMany calls', async () => {
    const cache = createCache({ store: memoryStore() })
    const { calls, loadMany } = table()
    const users = batchLoader(loadMany, { maxBatch: 64 })
    const ids = Array.from({ length: 200 }, (_, i) => String(i))
    const values = await Promise.all(ids.map((id) => cache.getOrSet(`user:${id}`, users(id))))
    expect(values).toEqual(ids.map((id) => ({ id })))
    expect(calls).toHaveLength(Math.ceil(200 / 64))
    expect(calls.flat().sort()).toEqual([...ids].sort())
    // Cached now: no more calls.
    await Promise.all(ids.map((id) => cache.getOrSet(`user:${id}`, users(id))))
    expect(calls).toHaveLength(4)
  })

  it('keeps single-flight per key: concurrent callers of one key ask for it once', async () => {
    const cache = createCache({ store: memoryStore() })
    const { calls, loadMany } = table()
    const users = batchLoader(loadMany)
    await Promise.all(
      [1, 2, 3, 1, 2, 3].map((id) => cache.getOrSet(`user:${id}`, users(String(id)))),
    )
    expect(calls).toEqual([['1', '2', '3']])
  })

  it('remembers keys loadMany leaves out as "not found", accepts a plain object, and ignores extra keys', async () => {
    const cache = createCache({ store: memoryStore() })
    const calls: string[][] = []
    const users = batchLoader(async (ids: string[]) => {
      calls.push(ids)
      return { a: 'A', extra: 'not asked' } as Record<string, string>
    })
    expect(await Promise.all(['a', 'b'].map((id) => cache.getOrSet(id, users(id))))).toEqual([
      'A',
      undefined,
    ])
    expect(await cache.getOrSet('b', users('b'))).toBeUndefined()
    expect(calls).toEqual([['a', 'b']])
    expect(await cache.get('extra')).toBeUndefined()
  })

  it('rejects every key of a call that resolves neither a Map nor an object with CG_BATCH_RESULT, and one that throws with its error', async () => {
    const cache = createCache({ store: memoryStore() })
    const wrong = batchLoader(async () => ['a', 'b'] as never)
    const results = await Promise.allSettled(['a', 'b'].map((id) => cache.getOrSet(id, wrong(id))))
    for (const result of results) {
      expect(result).toMatchObject({ status: 'rejected', reason: { code: 'CG_BATCH_RESULT' } })
    }
    const failing = batchLoader(async () => {
      throw new Error('database down')
    })
    await expect(cache.getOrSet('c', failing('c'))).rejects.toThrow('database down')
    expect(await cache.has('a')).toBe(false)
  })

  it('refuses bad arguments with a TypeError', () => {
    expect(() => batchLoader('nope' as never)).toThrow('Expected `loadMany` to be a function')
    expect(() => batchLoader(async () => new Map(), { maxBatch: 0 })).toThrow(
      'Expected `maxBatch` to be an integer from 1 or more',
    )
    expect(() => batchLoader(async () => new Map())(42 as never)).toThrow(
      'Expected the key to be a string',
    )
  })
})
