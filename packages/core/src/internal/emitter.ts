import type { CacheEventName, CacheEvents, Listener } from '../events.js'

/** A small typed emitter. Listener errors are dropped so that no listener can break a read. */
export class Emitter {
  private readonly listeners = new Map<CacheEventName, Set<Listener<CacheEventName>>>()
  /** Whether any listener was ever added: until then, `has` answers without a lookup. */
  private listened = false

  on<E extends CacheEventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event)
    if (!set) {
      set = new Set()
      this.listeners.set(event, set)
    }
    set.add(listener as Listener<CacheEventName>)
    this.listened = true
    return () => {
      set.delete(listener as Listener<CacheEventName>)
    }
  }

  has(event: CacheEventName): boolean {
    if (!this.listened) return false
    const set = this.listeners.get(event)
    return set !== undefined && set.size > 0
  }

  /** Removes every listener (the cache was closed). */
  clear(): void {
    this.listeners.clear()
  }

  emit<E extends CacheEventName>(event: E, payload: CacheEvents[E]): void {
    const set = this.listeners.get(event)
    if (!set || set.size === 0) return
    for (const listener of set) {
      try {
        ;(listener as Listener<E>)(payload)
      } catch {
        // A throwing listener must not turn a cache hit into a failure; see docs/errors.md.
      }
    }
  }
}
