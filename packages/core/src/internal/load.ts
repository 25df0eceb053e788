import {
  CacheGuardError,
  CircuitOpenError,
  GuardError,
  LoaderError,
  LoadTimeoutError,
  OverloadedError,
} from '../errors.js'
import type { Loader, LoaderContext } from '../options.js'
import { BATCHED } from './batch-call.js'
import type { Core } from './core.js'
import { loadedValue } from './decode-value.js'
import type { Entry } from './envelope.js'
import { track, untrack, type Work } from './flights.js'
import { BLOCKED, type ChainedLoad, rereadOf, runGuardChain, SKIPPED } from './guard-chain.js'
import { loadAbort } from './load-abort.js'
import { readTime } from './local-records.js'
import { type ReadKind, report } from './report.js'
import { type CallSettings, callSettings } from './settings.js'
import { encodeForWrite, serializeValue, type WriteMeta, writeEntry } from './write-entry.js'

/** How one read or load ended. `payload` stays serialized so each joined caller decodes its own copy. */
export interface Outcome {
  kind: ReadKind
  /** `undefined` means "not found". */
  payload: string | undefined
  /** The decoded value, handed to the caller that started the read. */
  value: unknown
}

/** One load: for a miss, or a background refresh of a value still being served. */
export interface LoadRequest {
  /** The flight this load answers; a write, delete or invalidation outdates it. */
  work: Work
  key: string
  storeKey: string
  loader: Loader<unknown>
  times: CallSettings
  /** The entry this load replaces (expired, stale, or due for early refresh), if there is one. */
  replaced: Entry | undefined
  /** For a background refresh: the value being served meanwhile. */
  refresh: { value: unknown; payload: string | undefined } | undefined
}

/**
 * Runs the guards and the loader, then writes the result: a value for `ttl` (+ `grace`), or a
 * "not found" for `negativeTtl`. A loader error is reported and rethrown, never written. With a
 * hard timeout, the callers are answered `CG_LOAD_TIMEOUT` when it passes, while the load itself
 * runs on (its signal aborted) and fills the cache if it ends well.
 */
export function load(core: Core, request: LoadRequest): Promise<Outcome> {
  const { state } = core
  const { key, storeKey, work, times } = request
  const operation = request.refresh === undefined ? 'load' : 'refresh'
  const chained: ChainedLoad = {
    key,
    storeKey,
    refresh: request.refresh !== undefined,
    replaced: request.replaced,
    abort: loadAbort(),
    fence: undefined,
    blockedBy: undefined,
    failedGuard: undefined,
    loaderFailed: false,
  }
  // Tracked for as long as the load runs, past a hard timeout too: a set, delete or invalidation
  // meanwhile must still outdate it.
  track(state.flights.loads, storeKey, work)
  const loading = loadAndWrite(core, request, chained)
    .catch((error: unknown) => {
      if (!(error instanceof LoadTimeoutError && chained.abort.reason === error)) {
        const reported =
          error instanceof CacheGuardError
            ? error
            : chained.failedGuard === undefined
              ? new LoaderError(key, error)
              : new GuardError(chained.failedGuard, key, error)
        report(state, operation, key, reported)
      }
      throw error
    })
    .finally(() => untrack(state.flights.loads, storeKey, work))
  if (!Number.isFinite(times.hardMs)) return loading
  return new Promise<Outcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new LoadTimeoutError(key, times.hardMs)
      chained.abort.abort(error)
      report(state, operation, key, error)
      reject(error)
      overdue(core, key, times.hardMs, loading)
    }, times.hardMs)
    // A load past its hard timeout must not keep the process alive on its own.
    timer.unref()
    loading.then(
      (outcome) => {
        clearTimeout(timer)
        resolve(outcome)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

/**
 * A load past its hard timeout keeps its load slot until it settles: the cap bounds what runs
 * against the database, and a loader that ignores its aborted `signal` still runs against it. It
 * is counted in `stats().overdueLoads` until then, and announced by the `overdue` event.
 */
function overdue(core: Core, key: string, hardTimeoutMs: number, loading: Promise<unknown>): void {
  const { counters, emitter } = core.state
  counters.overdueLoads++
  const settled = () => {
    counters.overdueLoads--
  }
  loading.then(settled, settled)
  emitter.emit('overdue', { key, hardTimeoutMs, overdueLoads: counters.overdueLoads })
}

async function loadAndWrite(
  core: Core,
  request: LoadRequest,
  chained: ChainedLoad,
): Promise<Outcome> {
  const { settings, state } = core
  const { work, key, storeKey, loader, times, refresh } = request
  let written: { payload: string | undefined } | undefined
  // What the loader may change about its own entry (LoaderContext.setOptions, noStore).
  let entryTimes = times
  let store = true
  const callLoader = async (): Promise<{
    value: unknown
    loadMs: number
    readAt: number
  }> => {
    state.counters.loads++
    const loaderCtx: LoaderContext = {
      key,
      get signal() {
        return chained.abort.signal
      },
      ...(refresh === undefined ? {} : { stale: refresh.value }),
      ...(chained.fence === undefined ? {} : { fence: chained.fence }),
      setOptions(options) {
        entryTimes = callSettings(settings, options, entryTimes)
      },
      noStore() {
        store = false
      },
    }
    // The load's data time: when it starts, after every invalidation this process knows of.
    const readAt = readTime(state.records)
    const started = performance.now()
    let value: unknown
    try {
      value = await loader(loaderCtx)
    } catch (error) {
      chained.loaderFailed = true
      throw error
    }
    const loadMs = performance.now() - started
    if (state.emitter.has('load')) {
      state.emitter.emit('load', {
        key,
        found: value !== null && value !== undefined,
        durationMs: loadMs,
      })
    }
    return { value, loadMs, readAt }
  }
  // The cap sits innermost, around the loader alone: a key a guard blocks, or waits on, never
  // takes a load slot, and neither does the write. A key of a batch waits for its batch's slot.
  const limiter = BATCHED in loader ? undefined : state.limiter
  const limited = limiter
    ? () => {
        const queued = limiter.run(callLoader)
        if (queued) return queued
        state.counters.overloaded++
        throw new OverloadedError(key, limiter.active, limiter.queued, state.counters.overdueLoads)
      }
    : callLoader
  // The write happens inside the guards, so a guard holding a lock holds it until the value is
  // in the store, and the processes it wakes find it there.
  const loadThenWrite = async (): Promise<unknown> => {
    const { value, loadMs, readAt } = await limited()
    const payload = serializeValue(core, key, value)
    written = { payload }
    if (store)
      await writeLoaded(core, work, key, storeKey, payload, entryTimes, {
        loadMs,
        fence: chained.fence,
        readAt,
      })
    return value
  }
  const result = await runGuardChain(core, chained, loadThenWrite)
  if (result === BLOCKED || chained.blockedBy !== undefined) {
    return { kind: 'blocked', payload: undefined, value: undefined }
  }
  if (result === SKIPPED && refresh !== undefined) {
    return { kind: 'stale', payload: refresh.payload, value: refresh.value }
  }
  const stored = rereadOf(result)
  if (stored !== undefined) return { kind: 'miss', payload: stored.payload, value: stored.value }
  if (written === undefined) {
    // A guard answered without calling the loader: its answer is cached like a loaded value.
    const payload = serializeValue(core, key, result)
    written = { payload }
    await writeLoaded(core, work, key, storeKey, payload, times, {
      loadMs: 0,
      fence: chained.fence,
    })
  }
  const { payload } = written
  return { kind: 'miss', payload, value: loadedValue(settings, payload) }
}

/**
 * Writes what a load produced. Failures are reported, not thrown: the callers already have their
 * value. An open breaker is announced once by the `breaker` event; a report per refused write
 * would be noise.
 */
async function writeLoaded(
  core: Core,
  work: Work,
  key: string,
  storeKey: string,
  payload: string | undefined,
  times: CallSettings,
  meta: WriteMeta,
): Promise<void> {
  const { fence } = meta
  const envelope = encodeForWrite(payload, times, meta)
  if (envelope === undefined) return
  try {
    await writeEntry(core, key, storeKey, envelope, payload !== undefined, fence, work)
  } catch (error) {
    if (!(error instanceof CircuitOpenError))
      report(core.state, 'write', key, error as CacheGuardError)
  }
}
