import type { CacheState } from './cache-state.js'
import type { Entry } from './envelope.js'
import { reportCorrupt } from './report.js'
import type { Settings } from './settings.js'

/** What `entryValue` answers for an entry whose payload cannot be handed out: read it as a miss. */
export const CORRUPT: unique symbol = Symbol('cacheguard.corrupt')

/**
 * The value of an entry for one caller. Copy mode decodes the payload for each caller, so no
 * caller can change what another reads. Frozen mode decodes and deeply freezes it once per entry
 * and, when it is plain data (objects, arrays, primitives), hands that same value to every read of
 * the entry: an entry kept decoded in memory is then served with no parsing at all. A payload that does not decode, or cannot be frozen (nested
 * deeper than the stack allows), is a corrupt entry: reported, and `CORRUPT`.
 */
export function entryValue(
  settings: Settings,
  state: CacheState,
  key: string,
  entry: Entry,
): unknown {
  const { payload } = entry
  if (payload === undefined) return undefined
  if (!settings.frozenValues) return decodeOrCorrupt(settings, state, key, payload)
  const frozen = entry.frozen
  if (frozen !== undefined && frozen.serializer === settings.serializer) return frozen.value
  const value = decodeOrCorrupt(settings, state, key, payload)
  if (value === CORRUPT) return CORRUPT
  let immutable: boolean
  try {
    immutable = deepFreeze(value)
  } catch (error) {
    // A RangeError: nested deeper than the stack. JSON parses such a payload (another program
    // wrote it) but freezing recurses: it must be a miss that the next load replaces, not a
    // rejection of every read.
    reportCorrupt(state, key, 'the payload is nested too deep to freeze', error)
    return CORRUPT
  }
  // Kept on the entry for every later read only when no caller can change it: a Map, Set, Date
  // or typed array inside stays mutable through its methods, so such a value is decoded again for
  // the next read, and shared only by the callers of one read.
  if (immutable) entry.frozen = { serializer: settings.serializer, value }
  return value
}

function decodeOrCorrupt(
  settings: Settings,
  state: CacheState,
  key: string,
  payload: string,
): unknown {
  try {
    return settings.serializer.deserialize(payload)
  } catch (error) {
    reportCorrupt(state, key, 'the payload does not deserialize', error)
    return CORRUPT
  }
}

/**
 * The value the callers of one load receive, decoded from what was written: a copy, or in frozen
 * mode one frozen value they share. Throws what the serializer throws.
 */
export function loadedValue(settings: Settings, payload: string | undefined): unknown {
  if (payload === undefined) return undefined
  const value = settings.serializer.deserialize(payload)
  if (settings.frozenValues) deepFreeze(value)
  return value
}

/** A copy of a shared payload for one more caller; in frozen mode the shared value itself. */
export function callerCopy(
  settings: Settings,
  payload: string | undefined,
  shared: unknown,
): unknown {
  if (payload === undefined || settings.frozenValues) return shared
  return settings.serializer.deserialize(payload)
}

/**
 * Freezes a decoded value and everything in it, so it can be handed to many callers. Answers
 * whether the result is immutable: a Map, Set or Date is frozen but still changes through its
 * methods, and a typed array or Buffer cannot be frozen at all (it is left as it is).
 */
function deepFreeze(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true
  if (ArrayBuffer.isView(value)) return false
  if (Object.isFrozen(value)) return isPlainData(value)
  Object.freeze(value)
  let immutable = isPlainData(value)
  for (const key of Object.keys(value)) {
    if (!deepFreeze((value as Record<string, unknown>)[key])) immutable = false
  }
  return immutable
}

/** Objects whose frozen state is all of their state: plain objects, arrays, null prototypes. */
function isPlainData(value: object): boolean {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === Array.prototype || proto === null
}
