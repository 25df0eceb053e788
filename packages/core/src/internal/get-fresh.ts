import type { Core } from './core.js'
import { CORRUPT, entryValue } from './decode-value.js'
import type { Entry } from './envelope.js'
import { readEntry, readStoredEntries } from './read-entry.js'

/**
 * `get` once its key is valid: the fresh value under `key`, or `undefined` (absent, stale, "not
 * found", corrupt, or the store failed: reported, not thrown). Counts a hit or a miss.
 */
export async function getFresh(core: Core, key: string, storeKey: string): Promise<unknown> {
  core.state.hotKeys?.record(key)
  return freshOrMiss(core, key, await readEntry(core, key, storeKey), Date.now())
}

/** `get`'s answer for what was read: a fresh entry's value (a hit), else `undefined` (a miss). */
function freshOrMiss(core: Core, key: string, entry: Entry | undefined, now: number): unknown {
  const { settings, state } = core
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
  const entries = await readStoredEntries(core, keys, storeKeys, undefined)
  const now = Date.now()
  return entries.map((entry, i) => {
    core.state.hotKeys?.record(keys[i]!)
    return freshOrMiss(core, keys[i]!, entry, now)
  })
}
