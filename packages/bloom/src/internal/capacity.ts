import type { BloomCapacityWarning } from '../bloom.js'

/** Tracks the members added and warns listeners once when they pass the capacity. */
export function capacityWatch(capacity: number) {
  const listeners = new Set<(warning: BloomCapacityWarning) => void>()
  let added = 0
  let warned = false
  return {
    get added() {
      return added
    },
    count(n: number): void {
      added += n
      if (warned || added <= capacity) return
      warned = true
      for (const listener of listeners) {
        try {
          listener({ capacity, added })
        } catch {
          // A listener must not break an add.
        }
      }
    },
    reset(to = 0): void {
      added = to
      warned = false
    },
    on(listener: (warning: BloomCapacityWarning) => void): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
