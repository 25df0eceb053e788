import type { Bloom, BloomInfo } from './bloom.js'
import { capacityWatch } from './internal/capacity.js'
import { positions } from './internal/hash.js'
import { BloomFilter, bloomSize, estimatedFalsePositiveRate } from './internal/sizing.js'

/** Options of `memoryBloom`. */
export interface MemoryBloomOptions {
  /** How many members the filter is sized for. Required. */
  capacity: number
  /** The false-positive rate at `capacity` members, between 0 and 1. @default 0.01 */
  errorRate?: number
}

/** An in-process filter: every operation is synchronous. */
export interface MemoryBloom extends Bloom {
  readonly local: true
  has(member: string): boolean
  add(members: string | readonly string[]): void
  info(): BloomInfo
}

/**
 * An in-process Bloom filter on bloom-filters' `BloomFilter` (its bit set and sizing), with our
 * pinned 32-bit hashing in place of its default pure-JS xxhash, which is about 14 times slower.
 * Each process has its own: seed it from the source of truth (`seedBloom`) at start.
 *
 * @example
 * const filter = memoryBloom({ capacity: 1_000_000, errorRate: 0.01 })
 * filter.add(['1', '2'])
 * filter.has('3') // false: certainly absent
 */
export function memoryBloom(options: MemoryBloomOptions): MemoryBloom {
  const size = bloomSize(options?.capacity, options?.errorRate ?? 0.01)
  const filter = new BloomFilter(size.bits, size.hashes)
  filter._hashing = {
    getIndexes: (element: string, bits: number, hashes: number) => positions(element, bits, hashes),
  } as unknown as typeof filter._hashing
  const watch = capacityWatch(size.capacity)
  return {
    kind: 'memory',
    local: true,
    capacity: size.capacity,
    errorRate: size.errorRate,
    has: (member) => filter.has(member),
    add(members) {
      const list = typeof members === 'string' ? [members] : members
      for (const member of list) filter.add(member)
      watch.count(list.length)
    },
    info() {
      const setBits = filter.length
      return {
        ...size,
        added: watch.added,
        fillRatio: setBits / size.bits,
        estimatedFalsePositiveRate: estimatedFalsePositiveRate(size, setBits),
      }
    },
    onCapacity: (listener) => watch.on(listener),
  }
}
