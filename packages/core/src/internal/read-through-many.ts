import type { ManyLoader } from '../options.js'
import { type BatchedLoader, batchCall } from './batch-call.js'
import type { Core } from './core.js'
import { readStoredThrough } from './read-stored-many.js'
import { readThrough } from './read-through.js'
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
