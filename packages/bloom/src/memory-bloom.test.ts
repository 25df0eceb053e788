import { describe, expect, it } from 'vitest'
import { memoryBloom } from './memory-bloom.js'

describe('memory bloom | accuracy', () => {
  it.each([0.01, 0.001])(
    'has no false negatives and at most 1.1 x the error rate %s at capacity',
    (errorRate) => {
      const capacity = 100_000
      const filter = memoryBloom({ capacity, errorRate })
      for (let i = 0; i < capacity; i++) filter.add(`user:${i}`)
      let falseNegatives = 0
      for (let i = 0; i < capacity; i++) if (!filter.has(`user:${i}`)) falseNegatives++
      expect(falseNegatives).toBe(0)
      let falsePositives = 0
      const absent = 1_000_000
      for (let i = 0; i < absent; i++) if (filter.has(`absent:${i}`)) falsePositives++
      expect(falsePositives / absent).toBeLessThanOrEqual(1.1 * errorRate)
      // And it is a real filter, not one that says yes to everything.
      expect(falsePositives).toBeGreaterThan(0)
    },
  )

  it('uses the theoretical bits per key, and reports fill and estimated error', () => {
    const filter = memoryBloom({ capacity: 10_000, errorRate: 0.01 })
    const empty = filter.info()
    expect(empty.bits / 10_000).toBeCloseTo(-Math.log(0.01) / Math.LN2 ** 2, 2)
    expect(empty).toMatchObject({
      hashes: 7,
      added: 0,
      fillRatio: 0,
      estimatedFalsePositiveRate: 0,
    })
    filter.add(Array.from({ length: 10_000 }, (_, i) => `k${i}`))
    const full = filter.info()
    expect(full.added).toBe(10_000)
    expect(full.fillRatio).toBeGreaterThan(0.45)
    expect(full.fillRatio).toBeLessThan(0.55)
    expect(full.estimatedFalsePositiveRate).toBeGreaterThan(0.005)
    expect(full.estimatedFalsePositiveRate).toBeLessThan(0.015)
  })

  it('warns once when more members than its capacity are added', () => {
    const filter = memoryBloom({ capacity: 10 })
    const warnings: number[] = []
    filter.onCapacity(({ added }) => warnings.push(added))
    filter.add(Array.from({ length: 10 }, (_, i) => `k${i}`))
    expect(warnings).toEqual([])
    filter.add('k10')
    filter.add('k11')
    expect(warnings).toEqual([11])
  })
})

describe('memory bloom | bad input', () => {
  it.each([
    [{ capacity: 0 }, 'Expected `capacity` to be a positive integer, got `0` (number)'],
    [{ capacity: 1.5 }, 'Expected `capacity` to be a positive integer, got `1.5` (number)'],
    [{ capacity: '1000' }, 'Expected `capacity` to be a positive integer, got `1000` (string)'],
    [
      { capacity: 10, errorRate: 0 },
      'Expected `errorRate` to be a number between 0 and 1 (exclusive), got `0` (number)',
    ],
    [{ capacity: 10, errorRate: 1 }, 'got `1` (number)'],
    [{ capacity: 1e12, errorRate: 0.0001 }, 'more than 2^32'],
  ])('rejects %o with a TypeError naming the option and the value', (options, message) => {
    expect(() => memoryBloom(options as never)).toThrow(TypeError)
    expect(() => memoryBloom(options as never)).toThrow(message)
  })
})
