// Invalidation records: what `deleteTags`, `expireTags` and `clear` leave in the store, and how a
// read applies them. A record is an envelope under a reserved key of the namespace
// (`__cg:d:<tag>`, `__cg:e:<tag>`, `__cg:clear`) whose `writtenAt` is the time of the
// invalidation: one write per tag, whatever the number of entries that carry it. An entry's data
// dates from the start of the load that produced it (`writtenAt - loadMs`), and a record at or
// after that time covers it: a hard record (`deleteTags`, `clear`) makes it a miss, a soft one
// (`expireTags`) makes it stale from the record's time, within the grace it was written with.
import type { CacheGuardError } from '../errors.js'
import type { Core } from './core.js'
import { decodeEntry, type Entry, encodeEntry } from './envelope.js'
import type { InvalidationKind } from './local-records.js'
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

/** The store key of a tag's record of `kind`, or of the namespace's clear record. */
export function recordKey(settings: Settings, kind: InvalidationKind, tag = ''): string {
  if (kind === 'clear') return `${prefix(settings)}clear`
  return `${prefix(settings)}${kind === 'delete' ? 'd' : 'e'}:${tag}`
}

/** The records that apply to an entry with `tags`: the clear record too when the cache is clearable. */
export function recordRefs(settings: Settings, tags: readonly string[] | undefined): RecordRef[] {
  const refs: RecordRef[] = settings.clearable
    ? [{ storeKey: recordKey(settings, 'clear'), hard: true }]
    : []
  if (tags !== undefined) {
    for (const tag of tags) {
      refs.push({ storeKey: recordKey(settings, 'delete', tag), hard: true })
      refs.push({ storeKey: recordKey(settings, 'expire', tag), hard: false })
    }
  }
  return refs
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
  const since = entry.writtenAt - entry.loadMs
  if (times.hard >= since) return undefined
  if (times.soft < since || times.soft >= entry.freshUntil) return entry
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
    fence: 0,
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
  const raws = await Promise.all(refs.map((ref) => core.remote.read(key, ref.storeKey)))
  return combine(refs, raws.map(recordTime))
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
 * The entry `raw` holds once its records are applied (read from the store, or taken from
 * `early`, records read alongside the entry for the tags the caller named). A store failure is
 * reported, and reads as a miss.
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
    const times = covered
      ? await early
      : await readRecords(core, key, recordRefs(core.settings, entry.tags))
    return applyRecords(entry, times)
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
  const early = readRecords(core, key, recordRefs(core.settings, tags))
  early.catch(() => {})
  return early
}
