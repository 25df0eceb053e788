/** The shape the memory store needs from each eviction policy. */
export interface BoundedMap<V> {
  get(key: string): V | undefined
  set(key: string, value: V, ttlMs: number): void
  delete(key: string): boolean
  /** Remaining milliseconds, or `undefined` when absent or expired. */
  ttl(key: string): number | undefined
  readonly size: number
}

interface Slot<V> {
  value: V
  expiresAt: number
  frequency: number
}

/** First in, first out: the oldest write is evicted first; reads do not change the order. */
export function fifoMap<V>(maxEntries: number): BoundedMap<V> {
  const slots = new Map<string, Slot<V>>()
  const live = (key: string): Slot<V> | undefined => {
    const slot = slots.get(key)
    if (slot !== undefined && slot.expiresAt <= Date.now()) {
      slots.delete(key)
      return undefined
    }
    return slot
  }
  return {
    get: (key) => live(key)?.value,
    set(key, value, ttlMs) {
      // A rewrite counts as a new arrival, so it moves to the back of the queue.
      slots.delete(key)
      slots.set(key, { value, expiresAt: Date.now() + ttlMs, frequency: 0 })
      if (slots.size > maxEntries) slots.delete(slots.keys().next().value as string)
    },
    delete: (key) => live(key) !== undefined && slots.delete(key),
    ttl(key) {
      const slot = live(key)
      return slot === undefined ? undefined : slot.expiresAt - Date.now()
    },
    get size() {
      return slots.size
    },
  }
}

/**
 * Least frequently used, in O(1) (Shah, Mitra, Matani, "An O(1) algorithm for implementing the
 * LFU cache eviction scheme", 2010): keys sit in buckets by read count; within a bucket the least
 * recently touched goes first. Expired entries are dropped when read or when they reach eviction.
 */
export function lfuMap<V>(maxEntries: number): BoundedMap<V> {
  const slots = new Map<string, Slot<V>>()
  const buckets = new Map<number, Set<string>>()
  let minFrequency = 1

  const unlink = (key: string, frequency: number): void => {
    const bucket = buckets.get(frequency)
    if (!bucket) return
    bucket.delete(key)
    if (bucket.size === 0) buckets.delete(frequency)
  }
  const link = (key: string, frequency: number): void => {
    let bucket = buckets.get(frequency)
    if (!bucket) {
      bucket = new Set()
      buckets.set(frequency, bucket)
    }
    bucket.add(key)
  }
  const remove = (key: string): boolean => {
    const slot = slots.get(key)
    if (!slot) return false
    unlink(key, slot.frequency)
    slots.delete(key)
    return true
  }
  const live = (key: string): Slot<V> | undefined => {
    const slot = slots.get(key)
    if (slot !== undefined && slot.expiresAt <= Date.now()) {
      remove(key)
      return undefined
    }
    return slot
  }
  const touch = (key: string, slot: Slot<V>): void => {
    unlink(key, slot.frequency)
    if (slot.frequency === minFrequency && !buckets.has(minFrequency)) minFrequency++
    slot.frequency++
    link(key, slot.frequency)
  }
  const evictOne = (): void => {
    while (buckets.size > 0) {
      const bucket = buckets.get(minFrequency)
      const victim = bucket?.values().next().value
      if (victim !== undefined) {
        remove(victim)
        return
      }
      // The minimum moved (its bucket emptied by a delete): find the next one.
      minFrequency = Math.min(...buckets.keys())
    }
  }

  return {
    get(key) {
      const slot = live(key)
      if (!slot) return undefined
      touch(key, slot)
      return slot.value
    },
    set(key, value, ttlMs) {
      const expiresAt = Date.now() + ttlMs
      const slot = live(key)
      if (slot) {
        slot.value = value
        slot.expiresAt = expiresAt
        touch(key, slot)
        return
      }
      if (slots.size >= maxEntries) evictOne()
      slots.set(key, { value, expiresAt, frequency: 1 })
      link(key, 1)
      minFrequency = 1
    },
    delete: (key) => live(key) !== undefined && remove(key),
    ttl(key) {
      const slot = live(key)
      return slot === undefined ? undefined : slot.expiresAt - Date.now()
    },
    get size() {
      return slots.size
    },
  }
}
