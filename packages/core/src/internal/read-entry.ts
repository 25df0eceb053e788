import { type CacheGuardError, CircuitOpenError } from '../errors.js'
import type { CacheState } from './cache-state.js'
import type { Core } from './core.js'
import { decodeEntry, type Entry, encodeEntry } from './envelope.js'
import { track, untrack, type Work } from './flights.js'
import { coveredLocally } from './local-records.js'
import {
  applyRecords,
  checkedEntry,
  needsRecords,
  peekRecords,
  readEarly,
  recordRefs,
  recordsApplied,
} from './records.js'
import { report, reportCorrupt } from './report.js'

const NO_ENTRY: Promise<undefined> = Promise.resolve(undefined)

/**
 * Reads an entry: from memory first, where a fresh copy is the answer, then from the store,
 * whose answer is kept in memory. Store failures and corrupt entries are reported and read as a
 * miss; an open breaker reads as a miss without asking the store, and so does a store that is
 * down while a stale memory copy exists: that copy is served within its grace.
 *
 * `memory: false` asks the store itself, past the memory tier. An entry read from the store is
 * checked against the invalidation records that apply to it (records.ts): those of `tags`, the
 * tags the caller expects, are read in the same round trip as the entry; a memory copy against
 * the invalidations this process made or heard.
 */
export function readEntry(
  core: Core,
  key: string,
  storeKey: string,
  memory = true,
  tags?: readonly string[],
): Promise<Entry | undefined> {
  if (core.peekIsStore) return Promise.resolve(peekEntry(core, key, storeKey))
  if (core.memory !== undefined) return readTiered(core, key, storeKey, memory, tags)
  return readRemote(core, key, storeKey, tags)
}

/**
 * The decoded entry `core.peek` finds, reporting one that is not an envelope. Needs `core.peek`.
 * From the store itself, its records are applied; a memory copy that an invalidation may cover
 * is not used (the store decides).
 */
export function peekEntry(core: Core, key: string, storeKey: string): Entry | undefined {
  const found = core.peek!(storeKey)
  if (typeof found === 'object') {
    // Most entries carry no tags, and most caches are never cleared: nothing to check for them.
    if (found.tags === undefined && core.state.records.cleared === 0 && !core.settings.clearable) {
      return found
    }
    return peekChecked(core, found)
  }
  if (found !== undefined) reportCorrupt(core.state, key, found)
  return undefined
}

/** A peeked entry that tags or a clear may cover. */
function peekChecked(core: Core, found: Entry): Entry | undefined {
  if (!core.peekIsStore) return coveredLocally(core.state.records, found) ? undefined : found
  if (!needsRecords(core.settings, found)) return found
  return applyRecords(found, peekRecords(core, recordRefs(core.settings, found.tags)))
}

/** One promise hop over the store call: it sits on every remote hit. */
function readRemote(
  core: Core,
  key: string,
  storeKey: string,
  tags: readonly string[] | undefined,
): Promise<Entry | undefined> {
  const { remote, state } = core
  if (remote.refused()) return NO_ENTRY
  const read = remote.read(key, storeKey)
  const early = readEarly(core, key, tags)
  return read.then(
    (raw) => {
      const entry = toEntry(state, key, raw)
      if (entry === undefined || !needsRecords(core.settings, entry)) return entry
      return checkedEntry(core, key, entry, early, tags)
    },
    (error: unknown) => {
      report(state, 'read', key, error as CacheGuardError)
      return undefined
    },
  )
}

/**
 * The entries of many keys with one store call, for a cache with no memory tier (getOrSetMany),
 * each checked against its records as `readEntry` checks one. A failed read is reported for each
 * key, and they read as misses; an open breaker reads as misses without asking the store.
 */
export function readStoredEntries(
  core: Core,
  keys: readonly string[],
  storeKeys: readonly string[],
  tags: readonly string[] | undefined,
): Promise<Array<Entry | undefined>> {
  const { remote, state } = core
  if (remote.refused()) return Promise.resolve(keys.map(() => undefined))
  const read = remote.readMany(keys, storeKeys)
  const early =
    tags === undefined && !core.settings.clearable
      ? undefined
      : keys.map((key) => readEarly(core, key, tags))
  return read.then(
    (raws) => {
      let checks: Array<Promise<unknown>> | undefined
      const entries = raws.map((raw, i): Entry | undefined => {
        const entry = toEntry(state, keys[i]!, raw)
        if (entry === undefined || !needsRecords(core.settings, entry)) return entry
        checks ??= []
        checks.push(
          checkedEntry(core, keys[i]!, entry, early?.[i], tags).then((checked) => {
            entries[i] = checked
          }),
        )
        return entry
      })
      // Most entries carry no tags: no promise per key for them.
      return checks === undefined ? entries : Promise.all(checks).then(() => entries)
    },
    (error: unknown) => {
      for (const key of keys) report(state, 'read', key, error as CacheGuardError)
      return keys.map(() => undefined)
    },
  )
}

async function readTiered(
  core: Core,
  key: string,
  storeKey: string,
  memory: boolean,
  tags: readonly string[] | undefined,
): Promise<Entry | undefined> {
  let local: Entry | undefined
  if (memory) {
    if (core.peek === undefined) {
      local = toEntry(core.state, key, await core.memory!.get(storeKey))
      if (local !== undefined && coveredLocally(core.state.records, local)) local = undefined
    } else {
      local = peekEntry(core, key, storeKey)
    }
    if (local !== undefined && fromMemory(local, Date.now())) return local
  }
  return readBehindMemory(core, key, storeKey, local, tags)
}

/**
 * The store's entry, for a key whose memory copy (`local`, if any) was read and is not fresh: kept
 * in memory when it comes, and `local` is the answer when the store cannot give one. Needs the
 * memory tier.
 */
export async function readBehindMemory(
  core: Core,
  key: string,
  storeKey: string,
  local: Entry | undefined,
  tags?: readonly string[],
): Promise<Entry | undefined> {
  const { remote, state } = core
  const tier = core.memory!
  if (remote.refused()) return local
  // A write, delete or invalidation of the key while this read is in flight outdates its answer:
  // it must not reach memory (flights.ts).
  const fill: Work = { outdated: false }
  track(state.flights.fills, storeKey, fill)
  let raw: unknown
  let entry: Entry | undefined
  const askedAt = Date.now()
  try {
    const read = remote.read(key, storeKey)
    const early = readEarly(core, key, tags)
    try {
      raw = await read
    } catch (error) {
      report(state, 'read', key, error as CacheGuardError)
      return local
    }
    entry = toEntry(state, key, raw)
    if (entry !== undefined && needsRecords(core.settings, entry)) {
      const checked = await checkedEntry(core, key, entry, early, tags)
      // Invalidated: the memory copy goes too. Expired: memory keeps it as the records leave it.
      if (checked === undefined) void tier.forget(storeKey)
      else if (checked !== entry) raw = encodeEntry(checked)
      entry = checked
    }
  } finally {
    untrack(state.flights.fills, storeKey, fill)
  }
  if (entry !== undefined && !fill.outdated) {
    tier.keep(storeKey, raw as string, entry.staleUntil, askedAt)
  }
  return entry
}

/**
 * The store's entry under `storeKey`, its records applied; rejects typed when the store fails or
 * the breaker is open (unreported: the caller reports).
 */
export async function readStored(
  core: Core,
  key: string,
  storeKey: string,
): Promise<Entry | undefined> {
  if (core.remote.refused()) {
    throw new CircuitOpenError('read', key, core.settings.store.name)
  }
  const entry = toEntry(core.state, key, await core.remote.read(key, storeKey))
  if (entry === undefined || !needsRecords(core.settings, entry)) return entry
  return recordsApplied(core, key, entry)
}

function toEntry(state: CacheState, key: string, raw: unknown): Entry | undefined {
  if (raw === undefined || raw === null) return undefined
  if (typeof raw !== 'string') {
    reportCorrupt(state, key, `the store returned a ${typeof raw}, not a string`)
    return undefined
  }
  const entry = decodeEntry(raw)
  if (typeof entry === 'string') {
    reportCorrupt(state, key, entry)
    return undefined
  }
  return entry
}

/** Whether a memory copy answers by itself: fresh, and not due for a check with the store. */
export function fromMemory(local: Entry, now: number): boolean {
  return now < local.freshUntil && (local.checkBy === undefined || now < local.checkBy)
}
