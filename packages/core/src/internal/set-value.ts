import type { CacheGuardError } from '../errors.js'
import type { Core } from './core.js'
import { outdate } from './flights.js'
import { removeEntry } from './remove-entry.js'
import { report } from './report.js'
import type { CallSettings } from './settings.js'
import { encodeForWrite, writeEntry } from './write-entry.js'

/**
 * `set` once its key is valid and its value serialized (`payload`, `undefined` for "not found"):
 * outdates the work in flight for the key, then writes (fenced when a guard fences). `readAt`:
 * the value's data time (`readTime`). Rejects typed, reported.
 */
export async function setValue(
  core: Core,
  key: string,
  storeKey: string,
  payload: string | undefined,
  times: CallSettings,
  readAt: number,
): Promise<void> {
  const { settings, state } = core
  outdate(state.flights, storeKey)
  const found = payload !== undefined
  if (!found && times.negativeTtl === 0) {
    // Negative caching is off: "not found" is recorded by removing the entry (reported there).
    await removeEntry(core, key, storeKey)
    return
  }
  try {
    // With a fencing guard, a set takes a token too: a load still running elsewhere, holding an
    // older one, cannot overwrite it.
    const fence = settings.fencing ? await core.remote.nextFence(key, storeKey) : undefined
    const envelope = encodeForWrite(payload, times, { loadMs: 0, fence, readAt })!
    await writeEntry(core, key, storeKey, envelope, found, fence)
  } catch (error) {
    report(state, 'write', key, error as CacheGuardError)
    throw error
  }
}
