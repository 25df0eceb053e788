/**
 * mulberry32: a small seeded PRNG, uniform in [0, 1), so a test or a benchmark draws the same keys
 * on every run.
 *
 * @example
 * const random = seededRandom(16)
 * const id = Math.floor(random() * 1000)
 */
export function seededRandom(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
