/** Members from an array, an iterable or an async iterable (a database cursor). */
export type MemberSource = Iterable<string> | AsyncIterable<string>

/** Options of a rebuild or a seeding. */
export interface RebuildOptions {
  /** Members added per batch (per round trip for a shared filter). @default 1000 */
  batchSize?: number
  /** Called after each batch with the members added so far. */
  onProgress?: (added: number) => void
}

/** What a filter reports about itself. */
export interface BloomInfo {
  capacity: number
  errorRate: number
  bits: number
  hashes: number
  /** Members added since the filter was created or rebuilt (counting repeats). */
  added: number
  /** Share of bits set, 0 to 1. */
  fillRatio: number
  /** (fillRatio)^hashes: the false-positive rate the filter gives now. */
  estimatedFalsePositiveRate: number
}

/** Emitted once when more members than `capacity` have been added: the error rate is climbing. */
export interface BloomCapacityWarning {
  capacity: number
  added: number
}

/**
 * A Bloom filter of the members that exist. `has` may answer `true` for a member never added
 * (a false positive, at about `errorRate`), never `false` for one that was.
 */
export interface Bloom {
  /** `'memory'` or `'redis'`. */
  readonly kind: string
  /**
   * `true` when `has` answers from process memory without I/O: the guard may then check it before
   * the store lookup, sparing attack traffic the round trip.
   */
  readonly local: boolean
  readonly capacity: number
  readonly errorRate: number
  /** Whether `member` may exist (`false`: it certainly was never added). */
  has(member: string): boolean | Promise<boolean>
  /** Adds members. */
  add(members: string | readonly string[]): void | Promise<void>
  /** Size, fill ratio and the current estimated false-positive rate. */
  info(): BloomInfo | Promise<BloomInfo>
  /**
   * Builds a fresh filter from `source` and swaps it in atomically, so deleted members leave and
   * no check ever sees a half-built filter. Resolves the members added.
   */
  rebuild(source: MemberSource, options?: RebuildOptions): Promise<number>
  /** Subscribes to the capacity warning; returns an unsubscribe function. */
  onCapacity(listener: (warning: BloomCapacityWarning) => void): () => void
}
