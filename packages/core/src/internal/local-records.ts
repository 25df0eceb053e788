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
  /** The latest invalidation of any kind: a `set` after it is written after it. */
  latest: number
}

export function createLocalRecords(): LocalRecords {
  return { tags: new Map(), tagFloor: 0, cleared: 0, latest: 0 }
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

/** Whether a memory copy may be covered by an invalidation: then the store decides. */
export function coveredLocally(local: LocalRecords, entry: Entry): boolean {
  const since = entry.writtenAt - entry.loadMs
  if (local.cleared >= since) return true
  if (entry.tags === undefined) return false
  if (local.tagFloor >= since) return true
  if (local.tags.size === 0) return false
  for (const tag of entry.tags) if ((local.tags.get(tag) ?? 0) >= since) return true
  return false
}
