import {
  CacheGuardError,
  GuardError,
  LoaderError,
  OverloadedError,
  SerializeError,
} from '../errors.js'
import type { GuardContext } from '../guard.js'
import type { Loader, LoaderContext } from '../options.js'
import { type CacheContext, type EntryTimes, jitterFactor, report, storeWrite } from './context.js'
import { encodeEntry } from './envelope.js'
import type { Flight, Outcome } from './read-through.js'

const BLOCKED: unique symbol = Symbol('cacheguard.blocked')

/** One load: for a miss (`stale` undefined) or a background refresh of a stale value. */
export interface LoadRequest {
  flight: Flight
  key: string
  storeKey: string
  loader: Loader<unknown>
  times: EntryTimes
  stale: unknown
}

/**
 * Runs the guards and the loader, then writes the result: a value for `ttl` (+ `grace`), or a
 * "not found" for `negativeTtl`. A loader error is reported and rethrown, never written.
 */
export async function load(ctx: CacheContext, request: LoadRequest): Promise<Outcome> {
  const { key, stale } = request
  const failure = { guard: undefined as string | undefined }
  try {
    return await loadAndWrite(ctx, request, failure)
  } catch (error) {
    const operation = stale === undefined ? 'load' : 'refresh'
    const reported =
      error instanceof CacheGuardError
        ? error
        : failure.guard === undefined
          ? new LoaderError(key, error)
          : new GuardError(failure.guard, key, error)
    report(ctx, operation, key, reported)
    throw error
  }
}

async function loadAndWrite(
  ctx: CacheContext,
  request: LoadRequest,
  failure: { guard: string | undefined },
): Promise<Outcome> {
  const { flight, key, storeKey, loader, times, stale } = request
  let blockedBy: string | undefined
  let loaderFailed = false
  const loaderCtx: LoaderContext = stale === undefined ? { key } : { key, stale }
  const callLoader = async (): Promise<unknown> => {
    ctx.counters.loads++
    const started = performance.now()
    let value: unknown
    try {
      value = await loader(loaderCtx)
    } catch (error) {
      loaderFailed = true
      throw error
    }
    if (ctx.emitter.has('load')) {
      const durationMs = performance.now() - started
      ctx.emitter.emit('load', { key, found: value !== null && value !== undefined, durationMs })
    }
    return value
  }
  // The cap sits innermost: a key a guard blocks, or waits on, never takes a load slot.
  const limiter = ctx.limiter
  let next = limiter
    ? () => {
        const queued = limiter.run(callLoader)
        if (queued) return queued
        ctx.counters.overloaded++
        throw new OverloadedError(key, limiter.active, limiter.queued)
      }
    : callLoader
  for (let i = ctx.guards.length - 1; i >= 0; i--) {
    const guard = ctx.guards[i]!
    if (!guard.load) continue
    const inner = next
    const guardCtx: GuardContext = {
      key,
      storeKey,
      store: ctx.store,
      block(reason) {
        blockedBy ??= guard.name
        ctx.counters.blocked++
        ctx.emitter.emit('blocked', { key, guard: guard.name, reason })
        return BLOCKED
      },
      report(error) {
        report(
          ctx,
          'guard',
          key,
          error instanceof CacheGuardError ? error : new GuardError(guard.name, key, error),
        )
      },
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
  const found = result !== null && result !== undefined
  let payload: string | undefined
  if (found) {
    try {
      payload = ctx.serializer.serialize(result)
    } catch (error) {
      throw new SerializeError(key, error)
    }
    if (typeof payload !== 'string') {
      throw new SerializeError(key, new TypeError('the serializer did not return a string'))
    }
  }
  await writeEntry(ctx, flight, key, storeKey, payload, times)
  const value = payload === undefined ? undefined : ctx.serializer.deserialize(payload)
  return { kind: 'miss', payload, value }
}

/**
 * Writes an entry with jittered times. Fresh + grace is the physical TTL, so nothing lives
 * forever. Failures are reported, not thrown: the caller already has its value.
 */
export async function writeEntry(
  ctx: CacheContext,
  flight: Flight | undefined,
  key: string,
  storeKey: string,
  payload: string | undefined,
  times: EntryTimes,
): Promise<void> {
  const text = buildEntry(ctx, payload, times)
  if (text === undefined || flight?.superseded) return
  try {
    await storeWrite(ctx, key, storeKey, text)
  } catch (error) {
    report(ctx, 'write', key, error as CacheGuardError)
    return
  }
  await notifyWritten(ctx, key, storeKey, payload !== undefined)
}

/** Encodes an entry and its physical TTL; `undefined` when negative caching is off. */
export function buildEntry(
  ctx: CacheContext,
  payload: string | undefined,
  times: EntryTimes,
): { value: string; ttlMs: number } | undefined {
  const factor = jitterFactor(ctx)
  const now = Date.now()
  if (payload === undefined) {
    if (times.negativeTtl === 0) return undefined
    const ttlMs = Math.max(1, Math.round(times.negativeTtl * factor))
    const until = now + ttlMs
    return { value: encodeEntry({ freshUntil: until, staleUntil: until, payload }), ttlMs }
  }
  const fresh = Math.max(1, Math.round(times.ttl * factor))
  const grace = Math.round(times.grace * factor)
  const freshUntil = now + fresh
  return {
    value: encodeEntry({ freshUntil, staleUntil: freshUntil + grace, payload }),
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
