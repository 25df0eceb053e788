import { LRUCache } from 'lru-cache'
import { type BoundedMap, fifoMap, lfuMap } from './internal/bounded-map.js'
import { keepsDecoded } from './internal/decoded-entries.js'
import { decodeEntry, type Entry } from './internal/envelope.js'
import { describeValue, numberOption } from './internal/validate.js'
import type { CacheStore } from './store.js'

/** Options of `memoryStore`. */
export interface MemoryStoreOptions {
  /** The most entries kept; beyond it, `policy` picks which to evict. @default 10000 */
  maxEntries?: number
  /** Eviction policy: least recently used, least frequently used, or first in first out. @default 'lru' */
  policy?: 'lru' | 'lfu' | 'fifo'
}

const DEFAULTS = { maxEntries: 10_000, policy: 'lru' } as const satisfies MemoryStoreOptions

/** What the memory store keeps under a key: the text as written, and its decoded entry. */
interface Slot {
  readonly text: string
  /** The envelope decoded at write; a reason string when the text is not one. */
  readonly entry: Entry | string
}

/**
 * An in-process store, bounded by entry count, with per-entry TTL. The default store of
 * `createCache`. Entries are held as encoded strings, so a caller can never mutate what another
 * caller reads; each is decoded once, when it is written, so that a hit parses only its payload
 * (and, with `values: 'frozen'`, not even that after the first read).
 *
 * @example
 * const cache = createCache({ store: memoryStore({ maxEntries: 50_000, policy: 'lfu' }) })
 */
export function memoryStore(options: MemoryStoreOptions = {}): CacheStore {
  const { maxEntries, policy } = { ...DEFAULTS, ...options }
  numberOption('maxEntries', maxEntries, 1, Number.POSITIVE_INFINITY, true)
  const map = createMap(policy, maxEntries)
  const write = (key: string, text: string, ttlMs: number): void => {
    map.set(key, { text, entry: decodeEntry(text) }, ttlMs)
  }
  // One counter for every key: increasing for the store is increasing for each key.
  let fences = 0
  const storedFence = (key: string) => {
    const entry = map.get(key)?.entry
    return entry === undefined || typeof entry === 'string' ? 0 : entry.fence
  }
  const store: CacheStore = {
    name: 'memory',
    local: true,
    get: async (key) => map.get(key)?.text,
    getMany: async (keys) => keys.map((key) => map.get(key)?.text),
    async set(key, value, ttlMs) {
      write(key, value, ttlMs)
    },
    async setMany(entries) {
      for (const entry of entries) write(entry.key, entry.value, entry.ttlMs)
    },
    delete: async (key) => map.delete(key),
    ttl: async (key) => map.ttl(key),
    async nextFence(key) {
      fences = Math.max(fences, storedFence(key)) + 1
      return fences
    },
    async setFenced(key, value, ttlMs, fence) {
      if (storedFence(key) > fence) return false
      write(key, value, ttlMs)
      return true
    },
  }
  keepsDecoded(store, (key) => map.get(key)?.entry)
  return store
}

function createMap(policy: unknown, maxEntries: number): BoundedMap<Slot> {
  switch (policy) {
    case 'lru':
      return lruMap(maxEntries)
    case 'lfu':
      return lfuMap(maxEntries)
    case 'fifo':
      return fifoMap(maxEntries)
    default:
      throw new TypeError(
        `Expected \`policy\` to be 'lru', 'lfu' or 'fifo', got ${describeValue(policy)}`,
      )
  }
}

// lru-cache is the well-kept LRU of the ecosystem (O(1), per-entry TTL); the LFU and FIFO
// policies, which it does not have, are ours in internal/bounded-map.ts.
function lruMap(maxEntries: number): BoundedMap<Slot> {
  const lru = new LRUCache<string, Slot>({ max: maxEntries, ttlAutopurge: false })
  return {
    get: (key) => lru.get(key),
    set: (key, value, ttlMs) => {
      lru.set(key, value, { ttl: ttlMs })
    },
    delete: (key) => lru.delete(key),
    ttl(key) {
      if (!lru.has(key)) return undefined
      return lru.getRemainingTTL(key)
    },
    get size() {
      return lru.size
    },
  }
}
