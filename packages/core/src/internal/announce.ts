import { CacheGuardError, GuardError, StoreError } from '../errors.js'
import type { Core } from './core.js'
import { report } from './report.js'

/** Tells the other processes' caches to drop their memory copies of `storeKey` (over the bus). */
export function invalidateElsewhere(core: Core, key: string, storeKey: string): void {
  const { bus } = core.settings
  if (bus === undefined) return
  // A bus is a store-side component: its failures are store failures.
  const failed = (error: unknown) =>
    report(
      core.state,
      'invalidate',
      key,
      error instanceof CacheGuardError ? error : new StoreError('invalidate', key, error),
    )
  try {
    Promise.resolve(bus.publish({ origin: core.state.id, keys: [storeKey] })).catch(failed)
  } catch (error) {
    failed(error)
  }
}

/** Tells each guard about a write; a guard that fails is reported, never thrown. */
export async function notifyWritten(
  core: Core,
  key: string,
  storeKey: string,
  found: boolean,
): Promise<void> {
  for (const guard of core.settings.guards) {
    if (!guard.written) continue
    try {
      await guard.written({ key, storeKey, found })
    } catch (error) {
      report(
        core.state,
        'guard',
        key,
        error instanceof CacheGuardError ? error : new GuardError(guard.name, key, error),
      )
    }
  }
}
