import { SerializeError } from '../errors.js'
import { invalidateElsewhere, notifyWritten } from './announce.js'
import type { Core } from './core.js'
import { encodeEntry } from './envelope.js'
import { outdateFills, type Work } from './flights.js'
import { type CallSettings, jitterFactor } from './settings.js'

/** An envelope ready to write (glossary: the text a cache writes), and its physical time to live. */
export interface Envelope {
  text: string
  ttlMs: number
}

/** What a write records besides the value: how long its load took, and its fence. */
export interface WriteMeta {
  loadMs: number
  fence: number | undefined
  /**
   * When the data was read (a load's start, a `set` call; `readTime`): the entry's data time,
   * which invalidation records are compared with. @default now - loadMs
   */
  readAt?: number
}

/**
 * Encodes an entry with jittered times: fresh for `ttl`, then stale for `grace`; fresh + grace is
 * the physical TTL, so nothing lives forever. A "not found" (`payload` undefined) lives for
 * `negativeTtl`; `undefined` when negative caching is off.
 */
export function encodeForWrite(
  payload: string | undefined,
  times: CallSettings,
  meta: WriteMeta,
): Envelope | undefined {
  const factor = jitterFactor(times)
  const loadMs = Math.round(meta.loadMs)
  // The entry's data time is writtenAt - loadMs: when the data was read. Its lifetimes count from
  // writtenAt, so that freshUntil - writtenAt is the call's ttl.
  const writtenAt = meta.readAt === undefined ? Date.now() : meta.readAt + loadMs
  const now = writtenAt
  const fence = meta.fence ?? 0
  if (payload === undefined) {
    if (times.negativeTtl === 0) return undefined
    const ttlMs = Math.max(1, Math.round(times.negativeTtl * factor))
    const until = now + ttlMs
    const text = encodeEntry({
      freshUntil: until,
      staleUntil: until,
      writtenAt,
      loadMs,
      fence,
      payload,
      tags: times.tags,
    })
    return { text, ttlMs }
  }
  const fresh = Math.max(1, Math.round(times.ttl * factor))
  const grace = Math.round(times.grace * factor)
  const freshUntil = now + fresh
  const text = encodeEntry({
    freshUntil,
    staleUntil: freshUntil + grace,
    writtenAt,
    loadMs,
    fence,
    payload,
    tags: times.tags,
  })
  return { text, ttlMs: fresh + grace }
}

/**
 * Writes one entry, the single path of every write (`set`, loads, refreshes): to memory, then to
 * the store (fenced when a fence is given: refused when the store holds a greater one), then tells
 * the other processes and the guards. Resolves whether it wrote; nothing is written for `work`
 * that a newer write, delete or invalidation outdated. Rejects typed, unreported: the caller
 * decides whether a failed write is its caller's error.
 */
export async function writeEntry(
  core: Core,
  key: string,
  storeKey: string,
  envelope: Envelope,
  found: boolean,
  fence: number | undefined,
  work?: Work,
): Promise<boolean> {
  if (work?.outdated) return false
  const { memory, remote, state } = core
  if (fence === undefined) {
    if (memory !== undefined) {
      outdateFills(state.flights, storeKey)
      memory.set(storeKey, envelope.text, envelope.ttlMs)
    }
    await remote.write(key, storeKey, envelope.text, envelope.ttlMs)
  } else {
    // Memory is written only once the store has accepted, and dropped when it refused: the newer
    // entry is in the store.
    const accepted = await remote.writeFenced(key, storeKey, envelope.text, envelope.ttlMs, fence)
    if (!accepted) {
      state.counters.fenced++
      if (memory !== undefined) {
        outdateFills(state.flights, storeKey)
        await memory.forget(storeKey)
      }
      return false
    }
    if (memory !== undefined) {
      outdateFills(state.flights, storeKey)
      memory.set(storeKey, envelope.text, envelope.ttlMs)
    }
  }
  invalidateElsewhere(core, key, storeKey)
  await notifyWritten(core, key, storeKey, found)
  return true
}

/** Serializes a value to write (`set`, a load); `undefined` for "not found". Throws `CG_SERIALIZE`. */
export function serializeValue(core: Core, key: string, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined
  let payload: unknown
  try {
    payload = core.settings.serializer.serialize(value)
  } catch (error) {
    throw new SerializeError(key, error)
  }
  if (typeof payload !== 'string') {
    throw new SerializeError(key, new TypeError('the serializer did not return a string'))
  }
  return payload
}
