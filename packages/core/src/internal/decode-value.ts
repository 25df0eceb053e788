import type { CacheState } from './cache-state.js'
import type { Entry } from './envelope.js'
import { reportCorrupt } from './report.js'
import type { Settings } from './settings.js'

/** What `entryValue` answers for an entry whose payload cannot be handed out: read it as a miss. */
export const CORRUPT: unique symbol = Symbol('cacheguard.corrupt')

/**
 * The value of an entry for one caller. Copy mode decodes the payload for each caller, so no
 * caller can change what another reads. Frozen mode decodes and deeply freezes it once per entry
 * and hands that same value to every read of the entry: an entry kept decoded in memory is then
 * served with no parsing at all. A payload that does not decode, or cannot be frozen (nested
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
  const frozen = entry.frozen
  if (frozen !== undefined && frozen.serializer === settings.serializer) return frozen.value
  let value: unknown
  try {
    value = settings.serializer.deserialize(payload)
  } catch (error) {
    reportCorrupt(state, key, 'the payload does not deserialize', error)
    return CORRUPT
  }
  if (!settings.frozenValues) return value
  try {
    deepFreeze(value)
  } catch (error) {
    // A RangeError: nested deeper than the stack. JSON parses such a payload (another program
    // wrote it) but freezing recurses: it must be a miss that the next load replaces, not a
    // rejection of every read.
    reportCorrupt(state, key, 'the payload is nested too deep to freeze', error)
    return CORRUPT
  }
  entry.frozen = { serializer: settings.serializer, value }
  return value
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

/** Freezes a decoded value and everything in it, so it can be handed to many callers. */
function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return
  // A typed array or Buffer cannot be frozen (its elements are not configurable): it is handed
  // out as it is, like any value a serializer such as devalue brings back.
  if (ArrayBuffer.isView(value)) return
  Object.freeze(value)
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
}
