import { describe, expect, it } from 'vitest'
import { createCache } from '../create-cache.js'
import { hotKeyCounter } from './hot-keys.js'

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    return state / 2 ** 31
  }
}

/** Requests drawn from a Zipf-like law over `keys` ids: id 0 most often, then 1, and so on. */
function zipf(requests: number, keys: number, seed = 1): string[] {
  const next = random(seed)
  const weights = Array.from({ length: keys }, (_, i) => 1 / (i + 1))
  const total = weights.reduce((a, b) => a + b, 0)
  const cumulative: number[] = []
  let sum = 0
  for (const weight of weights) {
    sum += weight / total
    cumulative.push(sum)
  }
  return Array.from({ length: requests }, () => {
    const u = next()
    let low = 0
    let high = keys - 1
    while (low < high) {
      const mid = (low + high) >> 1
      if (cumulative[mid]! < u) low = mid + 1
      else high = mid
    }
    return `item:${low}`
  })
}

describe('hot keys | counting', () => {
  it('names the 20 most requested of 100,000 keys from 200,000 skewed requests, in bounded memory', () => {
    const counter = hotKeyCounter(200)
    let largest = 0
    for (const key of zipf(200_000, 100_000)) {
      counter.record(key)
      largest = Math.max(largest, counter.size)
    }
    expect(largest).toBeLessThanOrEqual(400)
    const top = counter.top(20)
    const truth = Array.from({ length: 20 }, (_, i) => `item:${i}`)
    expect(top.filter((key) => truth.includes(key)).length).toBeGreaterThanOrEqual(18)
    expect(top.slice(0, 3)).toEqual(['item:0', 'item:1', 'item:2'])
  })

  it('follows a shift in traffic: what is hot now outranks what was hot before', () => {
    const counter = hotKeyCounter(50)
    for (const key of zipf(50_000, 10_000, 2)) counter.record(key)
    for (const key of zipf(50_000, 10_000, 3)) counter.record(key.replace('item', 'new'))
    expect(counter.top(3)).toEqual(['new:0', 'new:1', 'new:2'])
  })

  it('drops one-off keys (random ids of an attack) instead of growing', () => {
    const counter = hotKeyCounter(100)
    for (let i = 0; i < 50_000; i++) {
      counter.record(`random:${i}`)
      if (i % 10 === 0) counter.record('real:1')
    }
    expect(counter.size).toBeLessThanOrEqual(200)
    expect(counter.top(1)).toEqual(['real:1'])
  })
})

describe('hot keys | cache', () => {
  it('counts getOrSet and get calls, coalesced callers included, by key without namespace', async () => {
    const cache = createCache({ hotKeys: 100, namespace: 'app' })
    await Promise.all(Array.from({ length: 30 }, () => cache.getOrSet('a', () => 1)))
    for (let i = 0; i < 20; i++) await cache.get('b')
    await cache.getOrSet('c', () => 1)
    expect(cache.hotKeys(2)).toEqual(['a', 'b'])
    expect(cache.hotKeys()).toEqual(['a', 'b', 'c'])
  })

  it('says how to turn counting on when it is off, and checks its options', () => {
    expect(() => createCache().hotKeys(10)).toThrow(/createCache\(\{ hotKeys: 1000 \}\)/)
    expect(() => createCache({ hotKeys: -1 })).toThrow(/`hotKeys` to be an integer from 0/)
    expect(() => createCache({ hotKeys: 10 }).hotKeys(1.5)).toThrow(/`n`/)
  })
})
