import type { ManyLoader } from '../options.js'
import { batchCall } from './batch-call.js'
import type { Core } from './core.js'
import { readThrough } from './read-through.js'
import type { CallSettings } from './settings.js'

/**
 * `getOrSetMany` once its arguments are valid: each key is read through as `getOrSet` reads it
 * (its own single flight, which `getOrSet` calls and other batches join; grace, early refresh,
 * negative caching and guards per key), with one loader for the whole call, which gathers the
 * keys that reach it into `loadMany` calls (batch-call.ts). The reads go out as one store command.
 */
export function readThroughMany(
  core: Core,
  keys: readonly string[],
  storeKeys: readonly string[],
  loadMany: ManyLoader<unknown>,
  times: CallSettings,
  maxBatch: number,
): Promise<unknown[]> {
  const loader = batchCall(core, loadMany, maxBatch)
  core.remote.gatherReads()
  // A duplicate key joins the flight of its first position: answered at each, loaded once.
  return Promise.all(keys.map((key, i) => readThrough(core, key, storeKeys[i]!, loader, times)))
}
