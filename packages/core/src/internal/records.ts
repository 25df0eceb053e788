// Invalidation records: what `deleteTags`, `expireTags` and `clear` leave in the store, and how a
// read applies them. A record is an envelope under a reserved key of the namespace (`__cg:d:<tag>`,
// `__cg:e:<tag>`, `__cg:clear`) whose `writtenAt` (and fence) is the time of the invalidation: one
// write per tag, whatever the number of entries that carry it. An entry's data dates from the
// start of the load that produced it (`writtenAt - loadMs`), and a record at or after that time
// covers it: a delete record (`deleteTags`) or the clear record makes it a miss, an expire record
// (`expireTags`) makes it stale from the record's time, within the grace it was written with.
//
// `deleteTags` writes the tag's delete record, then its expire record too: so a read asks the
// expire records alone (one key per tag, with the clear record), and the delete records only for
// an entry an expire record covers, to tell a miss from stale.
import type { CacheGuardError } from '../errors.js'
import type { Core } from './core.js'
import { decodeEntry, type Entry, encodeEntry } from './envelope.js'
import { covers, dataTimeOf, type InvalidationKind } from './local-records.js'
import { report } from './report.js'
import { RESERVED_PREFIX, type Settings } from './settings.js'

/** How long a record is kept in the store: entries that live longer than this after an invalidation may come back. */
export const RECORD_TTL_MS = 30 * 24 * 3600 * 1000

/** The latest invalidations that apply to one entry, in Unix milliseconds (0: none). */
export interface RecordTimes {
  /** `deleteTags` of one of its tags, or `clear`. */
  hard: number
  /** `expireTags` of one of its tags. */
  soft: number
}

/** One record to read: its store key, and whether it is hard. */
export interface RecordRef {
  storeKey: string
  hard: boolean
}

function prefix(settings: Settings): string {
  return settings.namespace === '' ? RESERVED_PREFIX : `${settings.namespace}:${RESERVED_PREFIX}`
}

// Record keys by settings and tag, so a hit does not build its strings again.
const keyCache = new WeakMap<Settings, Map<string, string>>()

/** The store key of a tag's record of `kind`, or of the namespace's clear record. */
export function recordKey(settings: Settings, kind: InvalidationKind, tag = ''): string {
  const name = kind === 'clear' ? 'clear' : `${kind === 'delete' ? 'd' : 'e'}:${tag}`
  let keys = keyCache.get(settings)
  if (keys === undefined) {
    keys = new Map()
    keyCache.set(settings, keys)
  }
  let key = keys.get(name)
  if (key === undefined) {
    if (keys.size >= 10_000) keys.clear()
    key = `${prefix(settings)}${name}`
    keys.set(name, key)
  }
  return key
}

/**
 * The records a read asks first for an entry with `tags`: the clear record (when the cache is
 * clearable) and each tag's expire record, which `deleteTags` writes too.
 */
export function firstRefs(settings: Settings, tags: readonly string[] | undefined): RecordRef[] {
  const refs: RecordRef[] = settings.clearable
    ? [{ storeKey: recordKey(settings, 'clear'), hard: true }]
    : []
  if (tags !== undefined) {
    for (const tag of tags) refs.push({ storeKey: recordKey(settings, 'expire', tag), hard: false })
    // Without fenced writes a late expire record may replace a newer one: the delete records
    // cannot wait for an expire record to point at them.
    if (!fencedRecords(settings)) refs.push(...deleteRefs(settings, tags))
  }
  return refs
}

/** Whether records are written fenced by their time (the store has `setFenced`). */
export function fencedRecords(settings: Settings): boolean {
  return typeof settings.store.setFenced === 'function'
}

/** The delete records of `tags`: asked only when an expire record covers the entry. */
function deleteRefs(settings: Settings, tags: readonly string[] | undefined): RecordRef[] {
  return (tags ?? []).map((tag) => ({ storeKey: recordKey(settings, 'delete', tag), hard: true }))
}

/** Every record that applies to an entry with `tags`. */
export function recordRefs(settings: Settings, tags: readonly string[] | undefined): RecordRef[] {
  const first = firstRefs(settings, tags)
  return fencedRecords(settings) ? [...first, ...deleteRefs(settings, tags)] : first
}

/** Whether reading `entry` needs its records: it has tags, or the cache is clearable. */
export function needsRecords(settings: Settings, entry: Entry): boolean {
  return entry.tags !== undefined || settings.clearable
}

/**
 * The entry as the records leave it: `undefined` when a hard record covers it; stale from a soft
 * record's time when one covers it (a miss once the grace it was written with has passed since);
 * the entry itself otherwise.
 */
export function applyRecords(entry: Entry, times: RecordTimes): Entry | undefined {
  const since = dataTimeOf(entry)
  if (covers(times.hard, since)) return undefined
  if (!covers(times.soft, since) || times.soft >= entry.freshUntil) return entry
  const staleUntil = Math.min(entry.staleUntil, times.soft + (entry.staleUntil - entry.freshUntil))
  if (staleUntil <= Date.now()) return undefined
  return { ...entry, freshUntil: times.soft, staleUntil }
}

/** The envelope of a record written at `at`. */
export function encodeRecord(at: number): string {
  const until = at + RECORD_TTL_MS
  return encodeEntry({
    freshUntil: until,
    staleUntil: until,
    writtenAt: at,
    loadMs: 0,
    // Written fenced where the store can: a record never goes back to an earlier time.
    fence: at,
    payload: undefined,
  })
}

/** The time a record's text holds (0 when absent or not a record). */
function recordTime(raw: unknown): number {
  if (typeof raw !== 'string') return 0
  const entry = decodeEntry(raw)
  return typeof entry === 'string' ? 0 : entry.writtenAt
}

function combine(refs: readonly RecordRef[], times: readonly number[]): RecordTimes {
  const result = { hard: 0, soft: 0 }
  for (let i = 0; i < refs.length; i++) {
    const at = times[i] ?? 0
    if (refs[i]!.hard) result.hard = Math.max(result.hard, at)
    else result.soft = Math.max(result.soft, at)
  }
  return result
}

/**
 * Reads records from the store, in the tick's batch (one `MGET` with the entry's read when they
 * are asked in the same tick). Rejects typed when the store fails: the caller reads a miss.
 */
export async function readRecords(
  core: Core,
  key: string,
  refs: readonly RecordRef[],
): Promise<RecordTimes> {
  if (refs.length === 0) return { hard: 0, soft: 0 }
  if (core.peekIsStore) return peekRecords(core, refs)
  return combine(refs, await Promise.all(refs.map((ref) => readRecord(core, key, ref.storeKey))))
}

/** One record's time, read once for every concurrent read that needs it. */
function readRecord(core: Core, key: string, storeKey: string): Promise<number> {
  const inFlight = core.state.recordReads
  let reading = inFlight.get(storeKey)
  if (reading === undefined) {
    const read = core.remote.read(key, storeKey).then(recordTime)
    reading = read
    const done = () => {
      if (inFlight.get(storeKey) === read) inFlight.delete(storeKey)
    }
    read.then(done, done)
    inFlight.set(storeKey, read)
  }
  return reading
}

/** Reads records at once from a store that keeps its entries decoded (`core.peekIsStore`). */
export function peekRecords(core: Core, refs: readonly RecordRef[]): RecordTimes {
  const times = refs.map((ref) => {
    const found = core.peek!(ref.storeKey)
    return typeof found === 'object' ? found.writtenAt : 0
  })
  return combine(refs, times)
}

/**
 * The entry as its records leave it, read from the store: `first`, the expire and clear records
 * of its tags when they were read alongside it. Rejects when the store fails.
 */
export async function recordsApplied(
  core: Core,
  key: string,
  entry: Entry,
  first?: RecordTimes,
): Promise<Entry | undefined> {
  let times = first ?? (await readRecords(core, key, firstRefs(core.settings, entry.tags)))
  const since = dataTimeOf(entry)
  // With fenced records the first read leaves out the delete records: when an expire record
  // covers the entry and nothing hard does, they tell a miss from stale.
  if (fencedRecords(core.settings) && covers(times.soft, since) && !covers(times.hard, since)) {
    const deleted = await readRecords(core, key, deleteRefs(core.settings, entry.tags))
    times = { hard: Math.max(times.hard, deleted.hard), soft: times.soft }
  }
  return applyRecords(entry, times)
}

/**
 * `recordsApplied`, with `early`: the first records of the tags the caller named, read in the
 * same round trip as the entry. A store failure is reported, and reads as a miss.
 */
export async function checkedEntry(
  core: Core,
  key: string,
  entry: Entry,
  early: Promise<RecordTimes> | undefined,
  earlyTags: readonly string[] | undefined,
): Promise<Entry | undefined> {
  try {
    const covered =
      early !== undefined && (entry.tags ?? []).every((tag) => earlyTags?.includes(tag) === true)
    return await recordsApplied(core, key, entry, covered ? await early : undefined)
  } catch (error) {
    report(core.state, 'read', key, error as CacheGuardError)
    return undefined
  }
}

/**
 * Starts reading the records of `tags` with the entry's read (same tick, same batch), when there
 * are any to read; a failure is left to `checkedEntry`, which may not need them.
 */
export function readEarly(
  core: Core,
  key: string,
  tags: readonly string[] | undefined,
): Promise<RecordTimes> | undefined {
  if (tags === undefined && !core.settings.clearable) return undefined
  if (core.peekIsStore) return undefined
  const early = readRecords(core, key, firstRefs(core.settings, tags))
  early.catch(() => {})
  return early
}
