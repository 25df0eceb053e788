import type { CacheGuardError } from '../errors.js'
import type { Core } from './core.js'
import { type Entry, encodeEntry } from './envelope.js'
import { outdate } from './flights.js'
import { type InvalidationKind, invalidationTime, noteLocally } from './local-records.js'
import { peekEntry, readStored } from './read-entry.js'
import { encodeRecord, fencedRecords, RECORD_TTL_MS, recordKey } from './records.js'
import { removeEntry } from './remove-entry.js'
import { report } from './report.js'
import { writeEntry } from './write-entry.js'

/**
 * `deleteTags`, `expireTags` and `clear`: writes one record per tag (or the namespace's clear
 * record) whose time every later read compares with the entries it finds (records.ts), so the
 * cost is the same for a tag on one entry or on a million. This process's memory copies are
 * checked against it from now on, and the other processes hear it over the bus. Resolves once the
 * store holds every record; rejects typed (`CG_STORE`, `CG_STORE_TIMEOUT`, `CG_CIRCUIT_OPEN`),
 * reported, when it does not: nothing is reported done that was not done.
 */
export async function invalidate(
  core: Core,
  kind: InvalidationKind,
  tags: readonly string[],
): Promise<void> {
  const { settings, state } = core
  const at = invalidationTime(state.records)
  const fenced = fencedRecords(settings)
  noteLocally(state.records, kind, tags, at)
  const text = encodeRecord(at)
  const write = async (name: string, recordKind: InvalidationKind) => {
    const storeKey = recordKey(settings, recordKind, name)
    // Fenced by its time where the store can: a record never goes back to an earlier one. An
    // open breaker refuses the write (CG_CIRCUIT_OPEN), as any write.
    if (fenced) await core.remote.writeFenced(name, storeKey, text, RECORD_TTL_MS, at)
    else await core.remote.write(name, storeKey, text, RECORD_TTL_MS)
    // Reads of the record in flight started before it changed: none may answer a read after.
    state.recordReads.delete(storeKey)
  }
  await Promise.all(
    (kind === 'clear' ? ['clear'] : tags).map(async (name) => {
      try {
        if (kind === 'clear') return await write(name, 'clear')
        // The delete record first: a read that finds the expire record then finds it too.
        if (kind === 'delete') await write(name, 'delete')
        await write(name, 'expire')
      } catch (error) {
        report(state, 'invalidate', name, error as CacheGuardError)
        throw error
      }
    }),
  )
  const { bus } = settings
  if (bus === undefined) return
  const record = { kind, namespace: settings.namespace, tags: [...tags], at }
  try {
    Promise.resolve(bus.publish({ origin: state.id, keys: [], records: [record] })).catch(() => {})
  } catch {
    // The bus is at most once: the records in the store are what counts.
  }
}

/**
 * `expire(key)`: the entry becomes stale now, served within the grace it was written with while
 * one refresh runs (with no grace, it is deleted). Work in flight for the key is outdated, as by
 * `delete`. Resolves whether there was an entry; rejects typed when the store fails.
 */
export async function expireEntry(core: Core, key: string, storeKey: string): Promise<boolean> {
  outdate(core.state.flights, storeKey)
  let entry: Entry | undefined
  try {
    entry = core.peekIsStore
      ? peekEntry(core, key, storeKey)
      : await readStored(core, key, storeKey)
  } catch (error) {
    report(core.state, 'read', key, error as CacheGuardError)
    throw error
  }
  if (entry === undefined) {
    if (core.memory !== undefined) await core.memory.forget(storeKey)
    return false
  }
  const now = Date.now()
  if (entry.freshUntil <= now) return true
  const staleUntil = Math.min(entry.staleUntil, now + (entry.staleUntil - entry.freshUntil))
  if (staleUntil <= now) {
    await removeEntry(core, key, storeKey)
    return true
  }
  const text = encodeEntry({ ...entry, freshUntil: now, staleUntil })
  const fence = core.settings.fencing && entry.fence > 0 ? entry.fence : undefined
  try {
    await writeEntry(
      core,
      key,
      storeKey,
      { text, ttlMs: staleUntil - now },
      entry.payload !== undefined,
      fence,
    )
  } catch (error) {
    report(core.state, 'write', key, error as CacheGuardError)
    throw error
  }
  return true
}
