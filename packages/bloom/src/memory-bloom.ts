import type { Bloom, BloomInfo } from './bloom.js'
import { batches } from './internal/batches.js'
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
  let filter = createFilter(size.bits, size.hashes)
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
    async rebuild(source, options = {}) {
      const next = createFilter(size.bits, size.hashes)
      let added = 0
      for await (const batch of batches(source, options.batchSize ?? 1000)) {
        for (const member of batch) next.add(member)
        added += batch.length
        options.onProgress?.(added)
      }
      // One assignment: checks see the old filter or the new one, never a half-built one.
      filter = next
      watch.reset()
      watch.count(added)
      return added
    },
    onCapacity: (listener) => watch.on(listener),
  }
}

function createFilter(bits: number, hashes: number): InstanceType<typeof BloomFilter> {
  const filter = new BloomFilter(bits, hashes)
  filter._hashing = {
    getIndexes: (element: string, size: number, count: number) => positions(element, size, count),
  } as unknown as typeof filter._hashing
  return filter
}
