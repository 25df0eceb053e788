/** One invalidation: the store keys whose memory copies other processes must drop. */
export interface InvalidationMessage {
  /** The cache that wrote or deleted the keys; it keeps its own memory copies. */
  origin: string
  keys: string[]
  /** `deleteTags`, `expireTags` and `clear` calls: the memory copies they cover go to the store. */
  records?: InvalidationRecord[]
}

/** A `deleteTags` (`delete`), `expireTags` (`expire`) or `clear` call, as the bus carries it. */
export interface InvalidationRecord {
  kind: 'delete' | 'expire' | 'clear'
  /** The namespace of the cache that made it: only caches of that namespace apply it. */
  namespace: string
  /** The tags (none for `clear`). */
  tags: string[]
  /** When it was made, in Unix milliseconds. */
  at: number
}

/**
 * Carries invalidations between the caches of a fleet, so that a write or delete in one process
 * drops the memory-tier (`l1`) copies in the others. `redisBus` in `@cacheguard/redis` carries
 * them over Redis pub/sub; `memoryBus` connects the caches of one process.
 */
export interface InvalidationBus {
  /** Sends a message to every subscriber, the sender's own included. Rejections are reported, never thrown. */
  publish(message: InvalidationMessage): void | Promise<void>
  /** Hears every message; returns a function that stops listening. */
  subscribe(listener: (message: InvalidationMessage) => void): () => void
}

/**
 * A bus inside one process: every cache given it hears the others. For tests and for several
 * caches over one store in one process; across processes use `redisBus`.
 *
 * @example
 * const bus = memoryBus()
 * const a = createCache({ store, l1: memoryStore(), bus })
 * const b = createCache({ store, l1: memoryStore(), bus })
 */
export function memoryBus(): InvalidationBus {
  const listeners = new Set<(message: InvalidationMessage) => void>()
  return {
    publish(message) {
      for (const listener of listeners) {
        try {
          listener(message)
        } catch {
          // One subscriber's failure must not stop the others hearing the message.
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}
