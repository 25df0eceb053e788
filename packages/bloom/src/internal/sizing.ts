import bloomFilters from 'bloom-filters'
import { optimalFilterSize, optimalHashes } from 'bloom-filters/dist/formulas.js'

// bloom-filters is CommonJS: plain Node's ESM loader only gives it a default export, so named
// imports of it fail there; the default import works under Node and under bundlers alike.
export const { BloomFilter } = bloomFilters

/** The parameters of a filter, fixed when it is created. */
export interface BloomSize {
  capacity: number
  errorRate: number
  /** Bits in the filter: ceil(-n ln p / (ln 2)^2). */
  bits: number
  /** Hash functions: round(bits / n * ln 2). */
  hashes: number
}

/** Validates `capacity` and `errorRate` and derives the optimal bits and hash count. */
export function bloomSize(capacity: unknown, errorRate: unknown): BloomSize {
  if (typeof capacity !== 'number' || !Number.isSafeInteger(capacity) || capacity < 1) {
    throw new TypeError(
      `Expected \`capacity\` to be a positive integer, got \`${String(capacity)}\` (${typeof capacity})`,
    )
  }
  if (typeof errorRate !== 'number' || !(errorRate > 0 && errorRate < 1)) {
    throw new TypeError(
      `Expected \`errorRate\` to be a number between 0 and 1 (exclusive), got \`${String(errorRate)}\` (${typeof errorRate})`,
    )
  }
  const bits = optimalFilterSize(capacity, errorRate)
  // A Redis string holds at most 512 MiB, 2^32 bits; positions are 32-bit.
  if (bits > 2 ** 32) {
    throw new TypeError(
      `A filter for ${capacity} keys at ${errorRate} needs ${bits} bits, more than 2^32: split it or raise errorRate`,
    )
  }
  return { capacity, errorRate, bits, hashes: Math.max(1, optimalHashes(bits, capacity)) }
}

/** The false-positive rate a filter of this size gives once `added` members are in it. */
export function estimatedFalsePositiveRate(size: BloomSize, setBits: number): number {
  return (setBits / size.bits) ** size.hashes
}
