import type { Core } from './core.js'
import { CORRUPT, entryValue } from './decode-value.js'
import { readEntry, readStoredEntries } from './read-entry.js'

/**
 * `get` once its key is valid: the fresh value under `key`, or `undefined` (absent, stale, "not
 * found", corrupt, or the store failed: reported, not thrown). Counts a hit or a miss.
 */
export async function getFresh(core: Core, key: string, storeKey: string): Promise<unknown> {
  const { settings, state } = core
  state.hotKeys?.record(key)
  const entry = await readEntry(core, key, storeKey)
  if (entry === undefined || Date.now() >= entry.freshUntil) {
    state.counters.misses++
    return undefined
  }
  const value = entryValue(settings, state, key, entry)
  if (value === CORRUPT) {
    state.counters.misses++
    return undefined
  }
  state.counters.hits++
  return value
}

/**
 * `getMany` once its keys are valid: `get` for each key, in order. With no memory tier, every key
 * is read with one store call and decided as it comes, with no promise per key; otherwise each
 * key is read as `get` reads it (memory first), the store reads going out together.
 */
export async function getFreshMany(
  core: Core,
  keys: readonly string[],
  storeKeys: readonly string[],
): Promise<unknown[]> {
  if (core.memory !== undefined || core.peekIsStore) {
    core.remote.gatherReads()
    return Promise.all(storeKeys.map((storeKey, i) => getFresh(core, keys[i]!, storeKey)))
  }
  const { settings, state } = core
  const entries = await readStoredEntries(core, keys, storeKeys, undefined)
  const now = Date.now()
  return entries.map((entry, i) => {
    const key = keys[i]!
    state.hotKeys?.record(key)
    const value =
      entry === undefined || now >= entry.freshUntil
        ? CORRUPT
        : entryValue(settings, state, key, entry)
    if (value === CORRUPT) {
      state.counters.misses++
      return undefined
    }
    state.counters.hits++
    return value
  })
}
