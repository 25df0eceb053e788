import type { ManyLoader } from '../options.js'
import { type BatchedLoader, batchCall } from './batch-call.js'
import type { Core } from './core.js'
import { CORRUPT, entryValue } from './decode-value.js'
import { readStoredEntries } from './read-entry.js'
import { admitted, readThrough, readThroughStored } from './read-through.js'
import { dueEarly } from './refresh.js'
import { countRead } from './report.js'
import type { CallSettings } from './settings.js'

/**
 * `getOrSetMany` once its arguments are valid: each key is read through as `getOrSet` reads it
 * (its own single flight, which `getOrSet` calls and other batches join; grace, early refresh,
 * negative caching and guards per key), with one loader that gathers the keys reaching it into
 * `loadMany` calls (batch-call.ts). The store is read once for every key.
 */
export function readThroughMany(
  core: Core,
  keys: readonly string[],
  storeKeys: readonly string[],
  loadMany: ManyLoader<unknown>,
  times: CallSettings,
  maxBatch: number,
): Promise<unknown[]> {
  const loader = sharedLoader(core, loadMany, maxBatch)
  if (core.memory === undefined && !core.peekIsStore) {
    return readStoredThrough(core, keys, storeKeys, loader, times)
  }
  // A memory tier, or a memory store: each key is peeked synchronously first, and the reads that
  // memory cannot answer go out together.
  core.remote.gatherReads()
  // A duplicate key joins the flight of its first position: answered at each, loaded once.
  return Promise.all(keys.map((key, i) => readThrough(core, key, storeKeys[i]!, loader, times)))
}

/** The loaders of each cache, by `loadMany` and `maxBatch`: gone with the cache or the function. */
const sharedLoaders = new WeakMap<Core, WeakMap<ManyLoader<unknown>, Map<number, BatchedLoader>>>()

/**
 * The loader of `loadMany` in this cache: the calls of one turn of the event loop that pass the
 * same `loadMany` (a function defined once, as it usually is) share its queries, so 50 list pages
 * arriving together make a few queries rather than one each.
 */
function sharedLoader(core: Core, loadMany: ManyLoader<unknown>, maxBatch: number): BatchedLoader {
  let batches = sharedLoaders.get(core)
  if (batches === undefined) {
    batches = new WeakMap()
    sharedLoaders.set(core, batches)
  }
  let bySize = batches.get(loadMany)
  if (bySize === undefined) {
    bySize = new Map()
    batches.set(loadMany, bySize)
  }
  let loader = bySize.get(maxBatch)
  if (loader === undefined) {
    loader = batchCall(core, loadMany, maxBatch)
    bySize.set(maxBatch, loader)
  }
  return loader
}

/**
 * The keys of a cache with no memory tier: one `getMany` for every key no flight is reading, a
 * fresh entry answered as it comes (no flight, no promise of its own), every other key decided
 * on what was read, in its own flight, as `getOrSet` decides.
 */
async function readStoredThrough(
  core: Core,
  keys: readonly string[],
  storeKeys: readonly string[],
  loader: BatchedLoader,
  times: CallSettings,
): Promise<unknown[]> {
  const { settings, state } = core
  const { reads } = state.flights
  const answers: unknown[] = new Array(keys.length)
  const toRead: number[] = []
  let joined: number[] | undefined
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    if (settings.admitters.length > 0 && !admitted(core, key)) {
      state.hotKeys?.record(key)
      countRead(state, key, 'blocked')
      answers[i] = undefined
    } else if (reads.size > 0 && reads.has(storeKeys[i]!)) {
      // A flight is reading the key already: joined (there is one, so no entry is needed).
      state.hotKeys?.record(key)
      answers[i] = readThroughStored(
        core,
        key,
        storeKeys[i]!,
        loader,
        times,
        undefined,
        false,
        false,
      )
      joined ??= []
      joined.push(i)
    } else {
      toRead.push(i)
    }
  }
  // The positions whose answer is still a promise (a flight), awaited once the rest is decided.
  let pending: number[] | undefined
  if (toRead.length > 0) {
    const all = toRead.length === keys.length
    const readKeys = all ? keys : toRead.map((i) => keys[i]!)
    const entries = await readStoredEntries(
      core,
      readKeys,
      all ? storeKeys : toRead.map((i) => storeKeys[i]!),
      times.tags,
    )
    const now = Date.now()
    const early = settings.earlyRefresh
    for (let j = 0; j < toRead.length; j++) {
      const i = toRead[j]!
      const key = readKeys[j]!
      state.hotKeys?.record(key)
      const entry = entries[j]
      let corrupt = false
      let due = false
      if (entry !== undefined && now < entry.freshUntil) {
        due = early !== undefined && dueEarly(early, entry, now)
        if (!due) {
          const value = entryValue(settings, state, key, entry)
          if (value !== CORRUPT) {
            countRead(state, key, 'hit')
            answers[i] = value
            continue
          }
          corrupt = true
        }
      }
      answers[i] = readThroughStored(core, key, storeKeys[i]!, loader, times, entry, due, corrupt)
      pending ??= []
      pending.push(i)
    }
  }
  if (joined !== undefined) (pending ??= []).push(...joined)
  // Most calls of a warm cache are all hits: their answer is ready, with no promise per key.
  if (pending === undefined) return answers
  const settled = await Promise.all(pending.map((i) => answers[i]))
  for (let j = 0; j < pending.length; j++) answers[pending[j]!] = settled[j]
  return answers
}
