import type { Entry } from './envelope.js'

/** What an invalidation does: `delete` and `clear` are hard, `expire` soft. */
export type InvalidationKind = 'delete' | 'expire' | 'clear'

// This process's memory of invalidations, for the copies in its memory tier: they are checked
// against it, never against the store, so an invalidation made here or heard over the bus makes
// the copies it covers go to the store, which decides. Bounded: past MAX_LOCAL tags the oldest
// are forgotten, and `tagFloor` keeps their latest time for every tag.

const MAX_LOCAL = 10_000

/** The invalidations this process made or heard. */
export interface LocalRecords {
  tags: Map<string, number>
  /** Covers every tagged entry: tags forgotten past `MAX_LOCAL`. */
  tagFloor: number
  /** Covers every entry: the latest `clear`. */
  cleared: number
  /** The latest invalidation of any kind: data read after it dates from after it. */
  latest: number
  /** The latest data time given (`readTime`): an invalidation made after is at or after it. */
  lastRead: number
}

export function createLocalRecords(): LocalRecords {
  return { tags: new Map(), tagFloor: 0, cleared: 0, latest: 0, lastRead: 0 }
}

// Times within one process follow the order of its calls, even within one millisecond: data read
// after an invalidation dates from after it, and an invalidation made after a read is at or after
// the read's data time (so it covers it).

/** The data time of a read (a load's start, a `set`) that starts now. */
export function readTime(local: LocalRecords): number {
  const now = Date.now()
  const time = now > local.latest ? now : local.latest + 1
  if (time > local.lastRead) local.lastRead = time
  return time
}

/** The time of an invalidation this process makes now. */
export function invalidationTime(local: LocalRecords): number {
  return Math.max(Date.now(), local.lastRead)
}

/** Remembers an invalidation made here or heard over the bus. */
export function noteLocally(
  local: LocalRecords,
  kind: InvalidationKind,
  tags: readonly string[],
  at: number,
): void {
  local.latest = Math.max(local.latest, at)
  if (kind === 'clear') {
    local.cleared = Math.max(local.cleared, at)
    return
  }
  for (const tag of tags) {
    const time = Math.max(at, local.tags.get(tag) ?? 0)
    local.tags.delete(tag)
    local.tags.set(tag, time)
    if (local.tags.size > MAX_LOCAL) {
      const [oldest, oldestTime] = local.tags.entries().next().value as [string, number]
      local.tags.delete(oldest)
      local.tagFloor = Math.max(local.tagFloor, oldestTime)
    }
  }
}

/** An entry's data time: when the data it holds was read (its load's start, its `set`). */
export function dataTimeOf(entry: Entry): number {
  return entry.writtenAt - entry.loadMs
}

/**
 * Whether an invalidation at `at` covers data read at `since`: at or after it. A time of 0 is no
 * invalidation at all (and an entry of unknown data time, 0, is covered by any).
 */
export function covers(at: number, since: number): boolean {
  return at > 0 && at >= since
}

/** Whether a memory copy may be covered by an invalidation: then the store decides. */
export function coveredLocally(local: LocalRecords, entry: Entry): boolean {
  // Checked with the store since: the invalidations heard before then were applied there.
  const since = Math.max(dataTimeOf(entry), entry.verifiedAt ?? 0)
  if (covers(local.cleared, since)) return true
  if (entry.tags === undefined) return false
  if (covers(local.tagFloor, since)) return true
  for (const tag of entry.tags) if (covers(local.tags.get(tag) ?? 0, since)) return true
  return false
}
