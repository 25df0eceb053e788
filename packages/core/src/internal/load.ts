import {
  CacheGuardError,
  CircuitOpenError,
  GuardError,
  LoaderError,
  LoadTimeoutError,
  OverloadedError,
  SerializeError,
} from '../errors.js'
import type { GuardContext, StoredEntry } from '../guard.js'
import type { Loader, LoaderContext } from '../options.js'
import {
  type CacheContext,
  type EntryTimes,
  jitterFactor,
  entryTimes as optionsOver,
  report,
} from './context.js'
import { type Entry, encodeEntry } from './envelope.js'
import type { Flight, Flights, Outcome } from './read-through.js'
import { readEntry, storeWrite, storeWriteFenced, takeFence } from './tiers.js'
import { decodeStored } from './values.js'

const BLOCKED: unique symbol = Symbol('cacheguard.blocked')
const SKIPPED: unique symbol = Symbol('cacheguard.skipped')

/** The entries `GuardContext.reread` handed out, with what each holds. */
const rereads = new WeakMap<StoredEntry, { payload: string | undefined; value: unknown }>()

/** One load: for a miss, or a background refresh of a value still being served. */
export interface LoadRequest {
  flight: Flight
  key: string
  storeKey: string
  loader: Loader<unknown>
  times: EntryTimes
  /** The entry this load replaces (expired, stale, or due for early refresh), if there is one. */
  replaced: Entry | undefined
  /** For a background refresh: the value being served meanwhile. */
  refresh: { value: unknown; payload: string | undefined } | undefined
}

/** What a load wrote besides the value: how long the loader took, and its fence. */
interface WriteMeta {
  loadMs: number
  fence: number | undefined
}

/**
 * Runs the guards and the loader, then writes the result: a value for `ttl` (+ `grace`), or a
 * "not found" for `negativeTtl`. A loader error is reported and rethrown, never written. With a
 * hard timeout, the callers are answered `CG_LOAD_TIMEOUT` when it passes, while the load itself
 * runs on (its signal aborted) and fills the cache if it ends well.
 */
export function load(ctx: CacheContext, flights: Flights, request: LoadRequest): Promise<Outcome> {
  const { key, storeKey, flight, times } = request
  const operation = request.refresh === undefined ? 'load' : 'refresh'
  const controller = new AbortController()
  // Registered for as long as the load runs, past a hard timeout too: a set or delete meanwhile
  // must still supersede it.
  let running = flights.loads.get(storeKey)
  if (running === undefined) {
    running = new Set()
    flights.loads.set(storeKey, running)
  }
  running.add(flight)
  const failure = { guard: undefined as string | undefined }
  const loading = loadAndWrite(ctx, request, controller, failure)
    .catch((error: unknown) => {
      if (!(error instanceof LoadTimeoutError && controller.signal.reason === error)) {
        const reported =
          error instanceof CacheGuardError
            ? error
            : failure.guard === undefined
              ? new LoaderError(key, error)
              : new GuardError(failure.guard, key, error)
        report(ctx, operation, key, reported)
      }
      throw error
    })
    .finally(() => {
      running.delete(flight)
      if (running.size === 0 && flights.loads.get(storeKey) === running) {
        flights.loads.delete(storeKey)
      }
    })
  if (!Number.isFinite(times.hardMs)) return loading
  return new Promise<Outcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new LoadTimeoutError(key, times.hardMs)
      controller.abort(error)
      report(ctx, operation, key, error)
      reject(error)
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

async function loadAndWrite(
  ctx: CacheContext,
  request: LoadRequest,
  controller: AbortController,
  failure: { guard: string | undefined },
): Promise<Outcome> {
  const { flight, key, storeKey, loader, times, replaced, refresh } = request
  let blockedBy: string | undefined
  let loaderFailed = false
  let fence: number | undefined
  let written: { payload: string | undefined } | undefined
  // What the loader may change about its own entry (LoaderContext.setOptions, noStore).
  let entryTimes = times
  let store = true
  const callLoader = async (): Promise<{ value: unknown; loadMs: number }> => {
    ctx.counters.loads++
    const loaderCtx: LoaderContext = {
      key,
      signal: controller.signal,
      ...(refresh === undefined ? {} : { stale: refresh.value }),
      ...(fence === undefined ? {} : { fence }),
      setOptions(options) {
        entryTimes = optionsOver(ctx, options, entryTimes)
      },
      noStore() {
        store = false
      },
    }
    const started = performance.now()
    let value: unknown
    try {
      value = await loader(loaderCtx)
    } catch (error) {
      loaderFailed = true
      throw error
    }
    const loadMs = performance.now() - started
    if (ctx.emitter.has('load')) {
      ctx.emitter.emit('load', {
        key,
        found: value !== null && value !== undefined,
        durationMs: loadMs,
      })
    }
    return { value, loadMs }
  }
  // The cap sits innermost, around the loader alone: a key a guard blocks, or waits on, never
  // takes a load slot, and neither does the write.
  const limiter = ctx.limiter
  const limited = limiter
    ? () => {
        const queued = limiter.run(callLoader)
        if (queued) return queued
        ctx.counters.overloaded++
        throw new OverloadedError(key, limiter.active, limiter.queued)
      }
    : callLoader
  // The write happens inside the guards, so a guard holding a lock holds it until the value is
  // in the store, and the processes it wakes find it there.
  const loadThenWrite = async (): Promise<unknown> => {
    const { value, loadMs } = await limited()
    const payload = serializeValue(ctx, key, value)
    written = { payload }
    if (store) await writeEntry(ctx, flight, key, storeKey, payload, entryTimes, { loadMs, fence })
    return value
  }
  let next: () => Promise<unknown> = loadThenWrite
  for (let i = ctx.guards.length - 1; i >= 0; i--) {
    const guard = ctx.guards[i]!
    if (!guard.load) continue
    const inner = next
    const guardCtx: GuardContext = {
      key,
      storeKey,
      store: ctx.store,
      refresh: refresh !== undefined,
      signal: controller.signal,
      block(reason) {
        blockedBy ??= guard.name
        ctx.counters.blocked++
        ctx.emitter.emit('blocked', { key, guard: guard.name, reason })
        return BLOCKED
      },
      skip() {
        if (refresh === undefined) {
          throw new GuardError(guard.name, key, new Error('skip() ends background refreshes only'))
        }
        return SKIPPED
      },
      report(error) {
        report(
          ctx,
          'guard',
          key,
          error instanceof CacheGuardError ? error : new GuardError(guard.name, key, error),
        )
      },
      abort(reason) {
        controller.abort(reason)
      },
      async fence() {
        fence = await takeFence(ctx, key, storeKey)
        return fence
      },
      reread: () => reread(ctx, key, storeKey, replaced),
    }
    next = async () => {
      try {
        return await guard.load!(guardCtx, inner)
      } catch (error) {
        // Blame the innermost guard the error passed through, unless the loader threw it.
        if (!loaderFailed) failure.guard ??= guard.name
        throw error
      }
    }
  }
  const result = await next()
  if (result === BLOCKED || blockedBy !== undefined) {
    return { kind: 'blocked', payload: undefined, value: undefined }
  }
  if (result === SKIPPED && refresh !== undefined) {
    return { kind: 'stale', payload: refresh.payload, value: refresh.value }
  }
  const stored =
    typeof result === 'object' && result !== null ? rereads.get(result as StoredEntry) : undefined
  if (stored !== undefined) return { kind: 'miss', payload: stored.payload, value: stored.value }
  if (written === undefined) {
    // A guard answered without calling the loader: its answer is cached like a loaded value.
    const payload = serializeValue(ctx, key, result)
    written = { payload }
    await writeEntry(ctx, flight, key, storeKey, payload, times, { loadMs: 0, fence })
  }
  const { payload } = written
  const value = payload === undefined ? undefined : ctx.serializer.deserialize(payload)
  return { kind: 'miss', payload, value }
}

/** Serializes a loaded value; `undefined` for "not found". Throws `CG_SERIALIZE`. */
function serializeValue(ctx: CacheContext, key: string, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined
  let payload: unknown
  try {
    payload = ctx.serializer.serialize(value)
  } catch (error) {
    throw new SerializeError(key, error)
  }
  if (typeof payload !== 'string') {
    throw new SerializeError(key, new TypeError('the serializer did not return a string'))
  }
  return payload
}

/** `GuardContext.reread`: a fresh entry in the store other than the one this load replaces. */
async function reread(
  ctx: CacheContext,
  key: string,
  storeKey: string,
  replaced: Entry | undefined,
): Promise<StoredEntry | undefined> {
  const entry = await readEntry(ctx, key, storeKey, false)
  if (entry === undefined || Date.now() >= entry.freshUntil) return undefined
  if (
    replaced !== undefined &&
    entry.writtenAt === replaced.writtenAt &&
    entry.freshUntil === replaced.freshUntil &&
    entry.fence === replaced.fence
  ) {
    return undefined
  }
  const decoded = decodeStored(ctx, key, entry.payload)
  if (!decoded.ok) return undefined
  const handle: StoredEntry = { freshUntil: entry.freshUntil }
  rereads.set(handle, { payload: entry.payload, value: decoded.value })
  return handle
}

/**
 * Writes an entry with jittered times. Fresh + grace is the physical TTL, so nothing lives
 * forever. A fenced write goes through the store's `setFenced`. Failures are reported, not
 * thrown: the caller already has its value.
 */
export async function writeEntry(
  ctx: CacheContext,
  flight: Flight | undefined,
  key: string,
  storeKey: string,
  payload: string | undefined,
  times: EntryTimes,
  meta: WriteMeta,
): Promise<void> {
  const entry = buildEntry(ctx, payload, times, meta)
  if (entry === undefined || flight?.superseded) return
  try {
    if (meta.fence === undefined) await storeWrite(ctx, key, storeKey, entry)
    else if (!(await storeWriteFenced(ctx, key, storeKey, entry, meta.fence))) return
  } catch (error) {
    // An open breaker is announced by the `breaker` event when it opens; one report per refused write would be noise.
    if (!(error instanceof CircuitOpenError)) report(ctx, 'write', key, error as CacheGuardError)
    return
  }
  await notifyWritten(ctx, key, storeKey, payload !== undefined)
}

/** Encodes an entry and its physical TTL; `undefined` when negative caching is off. */
export function buildEntry(
  ctx: CacheContext,
  payload: string | undefined,
  times: EntryTimes,
  meta: WriteMeta,
): { value: string; ttlMs: number } | undefined {
  const factor = jitterFactor(ctx)
  const now = Date.now()
  const loadMs = Math.round(meta.loadMs)
  const fence = meta.fence ?? 0
  if (payload === undefined) {
    if (times.negativeTtl === 0) return undefined
    const ttlMs = Math.max(1, Math.round(times.negativeTtl * factor))
    const until = now + ttlMs
    return {
      value: encodeEntry({
        freshUntil: until,
        staleUntil: until,
        writtenAt: now,
        loadMs,
        fence,
        payload,
      }),
      ttlMs,
    }
  }
  const fresh = Math.max(1, Math.round(times.ttl * factor))
  const grace = Math.round(times.grace * factor)
  const freshUntil = now + fresh
  return {
    value: encodeEntry({
      freshUntil,
      staleUntil: freshUntil + grace,
      writtenAt: now,
      loadMs,
      fence,
      payload,
    }),
    ttlMs: fresh + grace,
  }
}

/** Tells each guard about a write; a guard that fails is reported, never thrown. */
export async function notifyWritten(
  ctx: CacheContext,
  key: string,
  storeKey: string,
  found: boolean,
): Promise<void> {
  for (const guard of ctx.guards) {
    if (!guard.written) continue
    try {
      await guard.written({ key, storeKey, found })
    } catch (error) {
      report(
        ctx,
        'guard',
        key,
        error instanceof CacheGuardError ? error : new GuardError(guard.name, key, error),
      )
    }
  }
}
