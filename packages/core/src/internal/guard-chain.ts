import { CacheGuardError, GuardError } from '../errors.js'
import type { GuardContext, StoredEntry } from '../guard.js'
import type { Core } from './core.js'
import { CORRUPT, entryValue } from './decode-value.js'
import type { Entry } from './envelope.js'
import type { LoadAbort } from './load-abort.js'
import { readEntry } from './read-entry.js'
import { report } from './report.js'

/** What `ctx.block()` returns: the load ends as "not found", without a write. */
export const BLOCKED: unique symbol = Symbol('cacheguard.blocked')
/** What `ctx.skip()` returns: a background refresh ends, the stale entry stays. */
export const SKIPPED: unique symbol = Symbol('cacheguard.skipped')

/** The entries `GuardContext.reread` handed out, with what each holds. */
const rereads = new WeakMap<StoredEntry, { payload: string | undefined; value: unknown }>()

/** What a guard answered with when it returned an entry from `ctx.reread()`. */
export function rereadOf(
  result: unknown,
): { payload: string | undefined; value: unknown } | undefined {
  return typeof result === 'object' && result !== null
    ? rereads.get(result as StoredEntry)
    : undefined
}

/** The load a guard chain wraps, and what its guards may change about it. */
export interface ChainedLoad {
  readonly key: string
  readonly storeKey: string
  /** A background refresh (a value is being served meanwhile). */
  readonly refresh: boolean
  /** The entry this load replaces, if any: `reread` looks past it. */
  readonly replaced: Entry | undefined
  readonly abort: LoadAbort
  /** The fencing token a guard took, once it has. */
  fence: number | undefined
  /** The guard that blocked the load, once one has. */
  blockedBy: string | undefined
  /** The guard an error passed through last (for the report), unless the loader threw it. */
  failedGuard: string | undefined
  /** Set when the loader itself threw: then no guard is blamed. */
  loaderFailed: boolean
}

/**
 * Composes the cache's guards around `inner` (the capped loader and the write), outermost first,
 * like middleware, and runs the chain. Resolves what the outermost guard returned.
 */
export function runGuardChain(
  core: Core,
  load: ChainedLoad,
  inner: () => Promise<unknown>,
): Promise<unknown> {
  const { guards } = core.settings
  let next = inner
  for (let i = guards.length - 1; i >= 0; i--) {
    const guard = guards[i]!
    if (!guard.load) continue
    const within = next
    const ctx = guardContext(core, load, guard.name)
    next = async () => {
      try {
        return await guard.load!(ctx, within)
      } catch (error) {
        // Blame the innermost guard the error passed through, unless the loader threw it.
        if (!load.loaderFailed) load.failedGuard ??= guard.name
        throw error
      }
    }
  }
  return next()
}

function guardContext(core: Core, load: ChainedLoad, name: string): GuardContext {
  const { state } = core
  const { key, storeKey } = load
  return {
    key,
    storeKey,
    store: core.settings.store,
    refresh: load.refresh,
    get signal() {
      return load.abort.signal
    },
    block(reason) {
      load.blockedBy ??= name
      state.counters.blocked++
      state.emitter.emit('blocked', { key, guard: name, reason })
      return BLOCKED
    },
    skip() {
      if (!load.refresh) {
        throw new GuardError(name, key, new Error('skip() ends background refreshes only'))
      }
      return SKIPPED
    },
    report(error) {
      report(
        state,
        'guard',
        key,
        error instanceof CacheGuardError ? error : new GuardError(name, key, error),
      )
    },
    abort(reason) {
      load.abort.abort(reason)
    },
    async fence() {
      load.fence = await core.remote.nextFence(key, storeKey)
      return load.fence
    },
    reread: () => reread(core, key, storeKey, load.replaced),
  }
}

/** `GuardContext.reread`: a fresh entry in the store other than the one this load replaces. */
async function reread(
  core: Core,
  key: string,
  storeKey: string,
  replaced: Entry | undefined,
): Promise<StoredEntry | undefined> {
  const entry = await readEntry(core, key, storeKey, false)
  if (entry === undefined || Date.now() >= entry.freshUntil) return undefined
  if (
    replaced !== undefined &&
    entry.writtenAt === replaced.writtenAt &&
    entry.freshUntil === replaced.freshUntil &&
    entry.fence === replaced.fence
  ) {
    return undefined
  }
  const value = entryValue(core.settings, core.state, key, entry)
  if (value === CORRUPT) return undefined
  const handle: StoredEntry = { freshUntil: entry.freshUntil }
  rereads.set(handle, { payload: entry.payload, value })
  return handle
}
