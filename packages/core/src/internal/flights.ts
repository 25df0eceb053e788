// Flights: the work in flight for each key in one cache, and the one rule that governs it. A
// write, delete or invalidation of a key outdates every piece of work that started before it:
// a load or refresh that is outdated still answers its own callers (no caller joins it any more),
// but never writes its value over the newer one; a store read that is outdated never puts what it
// read into the memory tier.

/** One piece of work for one key: a load, a background refresh, or a read that will fill memory. */
export interface Work {
  /** Set when a write, delete or invalidation of the key happened while this work ran. */
  outdated: boolean
}

/** A joinable read of one key (and, on a miss, its load), shared by every concurrent caller. */
export interface Flight<T> extends Work {
  promise: Promise<T>
}

/** What is in flight in one cache, by store key. */
export interface Flights {
  /** The `getOrSet` reads callers can join (single-flight). */
  readonly reads: Map<string, Flight<unknown>>
  /** The one background refresh per key. */
  readonly refreshes: Map<string, Flight<unknown>>
  /** Loads and refreshes still running, past a hard timeout too. */
  readonly loads: Map<string, Set<Work>>
  /** Store reads whose answer will be kept in the memory tier. */
  readonly fills: Map<string, Set<Work>>
}

export function createFlights(): Flights {
  return { reads: new Map(), refreshes: new Map(), loads: new Map(), fills: new Map() }
}

/** Registers `work` under `storeKey` in `kind` until `untrack`. */
export function track(kind: Map<string, Set<Work>>, storeKey: string, work: Work): void {
  let set = kind.get(storeKey)
  if (set === undefined) {
    set = new Set()
    kind.set(storeKey, set)
  }
  set.add(work)
}

export function untrack(kind: Map<string, Set<Work>>, storeKey: string, work: Work): void {
  const set = kind.get(storeKey)
  if (set === undefined) return
  set.delete(work)
  if (set.size === 0) kind.delete(storeKey)
}

/**
 * The rule: a `set`, `delete` or invalidation of `storeKey` (here, or announced by the bus)
 * outdates every read, load, refresh and memory fill in flight for it. The outdated read and
 * refresh stop being joinable: a caller that comes after the write starts work of its own,
 * rather than get a value loaded before it.
 */
export function outdate(flights: Flights, storeKey: string): void {
  const read = flights.reads.get(storeKey)
  if (read !== undefined) {
    read.outdated = true
    flights.reads.delete(storeKey)
  }
  const refresh = flights.refreshes.get(storeKey)
  if (refresh !== undefined) {
    refresh.outdated = true
    flights.refreshes.delete(storeKey)
  }
  markAll(flights.loads.get(storeKey))
  markAll(flights.fills.get(storeKey))
}

/**
 * A load's own write outdates only the memory fills in flight: they read the entry it replaces.
 * Other loads of the key go on and write too (the last write wins, as in the store).
 */
export function outdateFills(flights: Flights, storeKey: string): void {
  markAll(flights.fills.get(storeKey))
}

function markAll(set: Set<Work> | undefined): void {
  if (set !== undefined) for (const work of set) work.outdated = true
}
