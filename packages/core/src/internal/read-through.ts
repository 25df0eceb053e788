import { type CacheGuardError, CorruptEntryError, GuardError } from '../errors.js'
import type { Loader } from '../options.js'
import { type CacheContext, type EntryTimes, report, storeCall, toStoreKey } from './context.js'
import { decodeEntry, decodePayload, type Entry } from './envelope.js'
import { load } from './load.js'

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
}

/** Marks the flights for a key so their writes do not overwrite an explicit set or delete. */
export function supersede(flights: Flights, storeKey: string): void {
  const read = flights.reads.get(storeKey)
  if (read) read.superseded = true
  const refresh = flights.refreshes.get(storeKey)
  if (refresh) refresh.superseded = true
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
  if (ctx.admitters.length > 0 && !admitted(ctx, key)) {
    count(ctx, key, 'blocked')
    return undefined
  }
  let flight = flights.reads.get(storeKey)
  let outcome: Outcome
  if (flight !== undefined) {
    ctx.counters.coalesced++
    outcome = await flight.promise
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

/** Freezes a decoded value and everything in it, once, so it can be handed to many callers. */
export function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return
  Object.freeze(value)
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
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
        if (now < entry.freshUntil)
          return { kind: 'hit', payload: entry.payload, value: decoded.value }
        refreshInBackground(ctx, flights, key, storeKey, loader, times, decoded.value)
        return { kind: 'stale', payload: entry.payload, value: decoded.value }
      }
    }
  }
  return load(ctx, { flight, key, storeKey, loader, times, stale: undefined })
}

/** Reads and decodes an entry. Store failures and corrupt entries are reported and read as a miss. */
export function readEntry(
  ctx: CacheContext,
  key: string,
  storeKey: string,
): Promise<Entry | undefined> {
  const raw = ctx.batchedRead
    ? ctx.batchedRead(storeKey, key)
    : storeCall(ctx, 'read', key, () => ctx.store.get(storeKey))
  return raw.then(
    (raw) => toEntry(ctx, key, raw),
    (error: unknown) => {
      report(ctx, 'read', key, error as CacheGuardError)
      return undefined
    },
  )
}

function toEntry(ctx: CacheContext, key: string, raw: unknown): Entry | undefined {
  if (raw === undefined || raw === null) return undefined
  if (typeof raw !== 'string') {
    reportCorrupt(ctx, key, `the store returned a ${typeof raw}, not a string`)
    return undefined
  }
  const entry = decodeEntry(raw)
  if (typeof entry === 'string') {
    reportCorrupt(ctx, key, entry)
    return undefined
  }
  return entry
}

/** Decodes a stored payload; a payload that does not parse is a corrupt entry (a miss). */
export function decodeStored(
  ctx: CacheContext,
  key: string,
  payload: string | undefined,
): { ok: true; value: unknown } | { ok: false } {
  if (payload === undefined) return { ok: true, value: undefined }
  const decoded = decodePayload(ctx.serializer, payload)
  if (!decoded.ok) reportCorrupt(ctx, key, 'the payload does not deserialize', decoded.error)
  return decoded
}

function reportCorrupt(ctx: CacheContext, key: string, reason: string, cause?: unknown): void {
  ctx.counters.corrupt++
  report(ctx, 'read', key, new CorruptEntryError(key, reason, cause))
}

function refreshInBackground<T>(
  ctx: CacheContext,
  flights: Flights,
  key: string,
  storeKey: string,
  loader: Loader<T>,
  times: EntryTimes,
  stale: unknown,
): void {
  if (flights.refreshes.has(storeKey)) return
  const flight: Flight = { promise: undefined as unknown as Promise<Outcome>, superseded: false }
  flights.refreshes.set(storeKey, flight)
  flight.promise = load(ctx, { flight, key, storeKey, loader, times, stale })
  // Fail-safe: a refresh that fails leaves the stale entry in place; the error is an event only.
  flight.promise
    .catch(() => {
      // Already reported by load(); the stale entry stays where it is.
    })
    .finally(() => {
      if (flights.refreshes.get(storeKey) === flight) flights.refreshes.delete(storeKey)
    })
}
