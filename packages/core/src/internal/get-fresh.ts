import type { Core } from './core.js'
import { CORRUPT, entryValue } from './decode-value.js'
import { readEntry } from './read-entry.js'

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
