import { describe, expect, it } from 'vitest'
import { HASH_VERSION, hashPair, positions } from './internal/hash.js'

// These values are PINNED. A shared filter written by one version of cacheguard is read by
// another: if this test fails, positions changed, and every redisBloom in production would report
// real members absent. Change HASH_VERSION instead of these numbers.
describe('bloom hashing | pinned', () => {
  it('is version 1', () => {
    expect(HASH_VERSION).toBe(1)
  })

  it('gives the same hash pairs as when it was pinned', () => {
    expect(hashPair('')).toEqual(PINNED.empty)
    expect(hashPair('42')).toEqual(PINNED.fortyTwo)
    expect(hashPair('user:1001')).toEqual(PINNED.user)
    expect(hashPair('ünïcødé ✓')).toEqual(PINNED.unicode)
  })

  it('gives the same positions as when it was pinned', () => {
    expect(positions('user:1001', 9_585_059, 7)).toEqual(PINNED.positions)
  })

  it('keeps positions within the filter and spreads them', () => {
    for (let i = 0; i < 1000; i++) {
      for (const position of positions(`k${i}`, 1000, 7)) {
        expect(Number.isInteger(position) && position >= 0 && position < 1000).toBe(true)
      }
    }
    expect(new Set(positions('spread', 1 << 20, 10)).size).toBe(10)
  })
})

const PINNED = {
  empty: [3954623016, 1020716019],
  fortyTwo: [673097246, 1510194681],
  user: [3072005788, 1436138855],
  unicode: [1518617992, 4261509619],
  positions: [4786908, 3166913, 1546918, 9511982, 7891987, 6271992, 4651997],
}
