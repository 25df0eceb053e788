import { GuardError } from '../errors.js'
import type { Loader } from '../options.js'
import { type CacheContext, type EntryTimes, report, toStoreKey } from './context.js'
import type { Entry } from './envelope.js'
import { load } from './load.js'
import { readEntry } from './tiers.js'
import { decodeStored, deepFreeze } from './values.js'

/** How one flight ended. `payload` stays serialized so each joined caller decodes its own copy. */
export interface Outcome {
  kind: 'hit' | 'stale' | 'miss' | 'blocked'
  /** `undefined` means "not found". */
  payload: string | undefined
  /** The decoded value, handed to the caller that started the flight. */
  value: unknown
}

/** One read (and, on a miss, one load) in progress for one key. */
export interface Flight {
  promise: Promise<Outcome>
  /** Set by `set` and `delete` while the flight runs: its result must not overwrite theirs. */
  superseded: boolean
}

/** The per-cache maps of what is in flight. */
export interface Flights {
  reads: Map<string, Flight>
  refreshes: Map<string, Flight>
  /** Every load still running, by store key, past a hard timeout too. */
  loads: Map<string, Set<Flight>>
}

/** Marks the flights for a key so their writes do not overwrite an explicit set or delete. */
export function supersede(flights: Flights, storeKey: string): void {
  const read = flights.reads.get(storeKey)
  if (read) read.superseded = true
  const refresh = flights.refreshes.get(storeKey)
  if (refresh) refresh.superseded = true
  const loads = flights.loads.get(storeKey)
  if (loads) for (const flight of loads) flight.superseded = true
}

/** `getOrSet`: single-flight read-through with grace, negative caching and guards. */
export async function getOrSet<T>(
  ctx: CacheContext,
  flights: Flights,
  key: string,
  loader: Loader<T>,
  times: EntryTimes,
): Promise<T | undefined> {
  const storeKey = toStoreKey(ctx, key)
  ctx.hotKeys?.record(key)
  if (ctx.admitters.length > 0 && !admitted(ctx, key)) {
    count(ctx, key, 'blocked')
    return undefined
  }
  let flight = flights.reads.get(storeKey)
  let outcome: Outcome
  if (flight !== undefined) {
    ctx.counters.coalesced++
    try {
      outcome = await flight.promise
    } catch (error) {
      // The load failed: nothing usable was found, a miss.
      count(ctx, key, 'miss')
      throw error
    }
    count(ctx, key, outcome.kind)
    // Frozen values are shared: no caller can change what another reads.
    if (outcome.payload === undefined || ctx.frozenValues) return outcome.value as T | undefined
    // A joined caller decodes its own copy: one caller mutating its result never reaches another.
    return ctx.serializer.deserialize(outcome.payload) as T
  }
  const started: Flight = { promise: undefined as unknown as Promise<Outcome>, superseded: false }
  const reading = readThrough(ctx, flights, started, key, storeKey, loader, times)
  started.promise = ctx.frozenValues ? reading.then(freezeOutcome) : reading
  flights.reads.set(storeKey, started)
  flight = started
  try {
    outcome = await flight.promise
  } catch (error) {
    count(ctx, key, 'miss')
    throw error
  } finally {
    if (flights.reads.get(storeKey) === flight) flights.reads.delete(storeKey)
  }
  count(ctx, key, outcome.kind)
  return outcome.value as T | undefined
}

function freezeOutcome(outcome: Outcome): Outcome {
  deepFreeze(outcome.value)
  return outcome
}

/** Asks each `admit` guard; the first that refuses blocks the key. */
function admitted(ctx: CacheContext, key: string): boolean {
  for (const guard of ctx.admitters) {
    let admit: boolean
    try {
      admit = guard.admit!(key)
    } catch (error) {
      // A failing check never blocks a real key: let the request through and say so.
      report(ctx, 'guard', key, new GuardError(guard.name, key, error))
      continue
    }
    if (!admit) {
      ctx.counters.blocked++
      ctx.emitter.emit('blocked', {
        key,
        guard: guard.name,
        reason: 'refused before the store lookup',
      })
      return false
    }
  }
  return true
}

function count(ctx: CacheContext, key: string, kind: Outcome['kind']): void {
  if (kind === 'hit') {
    ctx.counters.hits++
    if (ctx.emitter.has('hit')) ctx.emitter.emit('hit', { key })
  } else if (kind === 'stale') {
    ctx.counters.staleHits++
    if (ctx.emitter.has('stale')) ctx.emitter.emit('stale', { key })
  } else {
    ctx.counters.misses++
    if (ctx.emitter.has('miss')) ctx.emitter.emit('miss', { key })
  }
}

async function readThrough<T>(
  ctx: CacheContext,
  flights: Flights,
  flight: Flight,
  key: string,
  storeKey: string,
  loader: Loader<T>,
  times: EntryTimes,
): Promise<Outcome> {
  const entry = await readEntry(ctx, key, storeKey)
  if (entry !== undefined) {
    const now = Date.now()
    if (now < entry.staleUntil) {
      const decoded = decodeStored(ctx, key, entry.payload)
      if (decoded.ok) {
        if (now < entry.freshUntil) {
          if (ctx.earlyRefresh !== undefined && dueEarly(ctx.earlyRefresh, entry, now)) {
            const stale = { value: decoded.value, payload: entry.payload }
            const started = refreshInBackground(
              ctx,
              flights,
              key,
              storeKey,
              loader,
              times,
              entry,
              stale,
            )
            if (started) ctx.counters.earlyRefreshes++
          }
          return { kind: 'hit', payload: entry.payload, value: decoded.value }
        }
        const stale = { value: decoded.value, payload: entry.payload }
        refreshInBackground(ctx, flights, key, storeKey, loader, times, entry, stale)
        if (times.softMs > 0) {
          const refreshed = await withinSoftTimeout(
            ctx,
            flights.refreshes.get(storeKey),
            times.softMs,
          )
          if (refreshed !== undefined) return refreshed
        }
        return { kind: 'stale', payload: entry.payload, value: decoded.value }
      }
    }
  }
  return load(ctx, flights, {
    flight,
    key,
    storeKey,
    loader,
    times,
    replaced: entry,
    refresh: undefined,
  })
}

/**
 * XFetch (Vattani, Chierichetti and Lowenstein, VLDB 2015): refresh when
 * `now - delta * beta * ln(rand) >= expiry`, `rand` in (0, 1] so that `ln 0` never fires it.
 * An entry with no measured load time (written by `set`) is never refreshed early this way.
 */
function dueEarly(
  option: NonNullable<CacheContext['earlyRefresh']>,
  entry: Entry,
  now: number,
): boolean {
  if (option.beta !== undefined) {
    return now - entry.loadMs * option.beta * Math.log(1 - Math.random()) >= entry.freshUntil
  }
  return now >= entry.writtenAt + option.threshold * (entry.freshUntil - entry.writtenAt)
}

/**
 * The refresh's answer if it comes within `softMs`; `undefined` when it is late or fails (the
 * stale value is served and the refresh goes on). Each caller decodes its own copy.
 */
function withinSoftTimeout(
  ctx: CacheContext,
  refresh: Flight | undefined,
  softMs: number,
): Promise<Outcome | undefined> {
  if (refresh === undefined) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), softMs)
    refresh.promise.then(
      (outcome) => {
        clearTimeout(timer)
        if (outcome.kind !== 'miss') return resolve(undefined)
        const { payload } = outcome
        const value = payload === undefined ? undefined : ctx.serializer.deserialize(payload)
        resolve({ kind: 'miss', payload, value })
      },
      () => {
        clearTimeout(timer)
        resolve(undefined)
      },
    )
  })
}

/** Starts one background refresh for a key unless one is running; returns whether it started. */
function refreshInBackground<T>(
  ctx: CacheContext,
  flights: Flights,
  key: string,
  storeKey: string,
  loader: Loader<T>,
  times: EntryTimes,
  replaced: Entry,
  refresh: { value: unknown; payload: string | undefined },
): boolean {
  if (flights.refreshes.has(storeKey)) return false
  const flight: Flight = { promise: undefined as unknown as Promise<Outcome>, superseded: false }
  flights.refreshes.set(storeKey, flight)
  flight.promise = load(ctx, flights, { flight, key, storeKey, loader, times, replaced, refresh })
  // Fail-safe: a refresh that fails leaves the stale entry in place; the error is an event only.
  flight.promise
    .catch(() => {
      // Already reported by load(); the stale entry stays where it is.
    })
    .finally(() => {
      if (flights.refreshes.get(storeKey) === flight) flights.refreshes.delete(storeKey)
    })
  return true
}
