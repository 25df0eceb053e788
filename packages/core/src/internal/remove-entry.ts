import type { CacheGuardError } from '../errors.js'
import { invalidateElsewhere } from './announce.js'
import type { Core } from './core.js'
import { outdate } from './flights.js'
import { report } from './report.js'

/**
 * Deletes an entry from memory, the store, and the other processes' memory; outdates the work in
 * flight for it first. Resolves whether something was removed. Rejects typed (and reported).
 */
export async function removeEntry(core: Core, key: string, storeKey: string): Promise<boolean> {
  outdate(core.state.flights, storeKey)
  const local = core.memory === undefined ? false : await core.memory.forget(storeKey)
  try {
    const removed = await core.remote.delete(key, storeKey)
    invalidateElsewhere(core, key, storeKey)
    return removed || local
  } catch (error) {
    report(core.state, 'delete', key, error as CacheGuardError)
    throw error
  }
}

/** Drops this process's memory copy of a key another process wrote or deleted (the bus). */
export function forgetLocal(core: Core, storeKey: string): void {
  outdate(core.state.flights, storeKey)
  core.memory?.forget(storeKey)
}
