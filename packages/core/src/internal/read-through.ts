import { GuardError } from '../errors.js'
import type { Loader } from '../options.js'
import type { Core } from './core.js'
import { CORRUPT, callerCopy, entryValue } from './decode-value.js'
import type { Entry } from './envelope.js'
import type { Flight } from './flights.js'
import { load, type Outcome } from './load.js'
import { fromMemory, peekEntry, readBehindMemory, readEntry } from './read-entry.js'
import { dueEarly, refreshInBackground, withinSoftTimeout } from './refresh.js'
import { countRead, report } from './report.js'
import type { CallSettings } from './settings.js'

/** What a read before the flight started found: used, never read again. */
interface Peeked {
  entry: Entry | undefined
  /** The early-refresh draw for `entry` (rolled once per read). */
  due: boolean
  /** `entry` is the store's own answer (getOrSetMany's read), not a memory copy to look behind. */
  stored?: true
}

/**
 * `getOrSet` once its arguments are valid: decides fresh, stale or miss, and nothing else. A
 * fresh entry found by a synchronous read of memory is answered at once, with no flight, no
 * timer and no promise but the answer. Everything else runs as one flight per key that
 * concurrent callers join (single-flight): a stale entry is served while one refresh runs
 * (refresh.ts), a miss is loaded (load.ts).
 */
export function readThrough<T>(
  core: Core,
  key: string,
  storeKey: string,
  loader: Loader<T>,
  times: CallSettings,
): Promise<T | undefined> {
  const { settings, state } = core
  state.hotKeys?.record(key)
  if (settings.admitters.length > 0 && !admitted(core, key)) {
    countRead(state, key, 'blocked')
    return Promise.resolve(undefined)
  }
  const { reads } = state.flights
  // Most hits find no read in flight anywhere: they skip the lookup.
  const joined = reads.size === 0 ? undefined : (reads.get(storeKey) as ReadFlight | undefined)
  if (joined !== undefined) return join(core, key, joined)
  let peeked: Peeked | undefined
  let corrupt: Entry | undefined
  if (core.peek !== undefined) {
    const entry = peekEntry(core, key, storeKey)
    let due = false
    if (entry !== undefined) {
      const now = Date.now()
      if (fromMemory(entry, now)) {
        const hit = freshHit(core, key, entry, now)
        if (hit === DUE) due = true
        // Reported once, in freshHit: the load replaces it.
        else if (hit === CORRUPT) corrupt = entry
        else return Promise.resolve(hit as T)
      }
    }
    peeked = { entry, due }
  }
  return startRead(
    core,
    key,
    storeKey,
    loader as Loader<unknown>,
    times,
    peeked,
    corrupt,
  ) as Promise<T | undefined>
}

/** What `freshHit` answers for a fresh entry due for early refresh: a flight refreshes it. */
export const DUE: unique symbol = Symbol('cacheguard.due')

/**
 * A fresh entry's answer without a flight: its value, counted as a hit; `DUE` when early refresh
 * draws it (rolled here, once per read), or `CORRUPT` when it cannot be decoded (reported).
 */
export function freshHit(core: Core, key: string, entry: Entry, now: number): unknown {
  const { settings, state } = core
  const early = settings.earlyRefresh
  if (early !== undefined && dueEarly(early, entry, now)) return DUE
  const value = entryValue(settings, state, key, entry)
  if (value !== CORRUPT) countRead(state, key, 'hit')
  return value
}

/**
 * getOrSetMany's read of a key whose entry it read from the store, with others, in one call (a
 * cache with no memory tier): joins the key's flight, or starts one that decides on `entry`.
 * `corrupt`: the entry could not be decoded (already reported); it is loaded again.
 */
export function readThroughStored(
  core: Core,
  key: string,
  storeKey: string,
  loader: Loader<unknown>,
  times: CallSettings,
  entry: Entry | undefined,
  due: boolean,
  corrupt: boolean,
): Promise<unknown> {
  const { reads } = core.state.flights
  const joined = reads.size === 0 ? undefined : (reads.get(storeKey) as ReadFlight | undefined)
  if (joined !== undefined) return join(core, key, joined)
  const peeked: Peeked = { entry, due, stored: true }
  return startRead(core, key, storeKey, loader, times, peeked, corrupt ? entry : undefined)
}

/** Starts the one flight of a key, which callers join until it settles. */
function startRead(
  core: Core,
  key: string,
  storeKey: string,
  loader: Loader<unknown>,
  times: CallSettings,
  peeked: Peeked | undefined,
  corrupt: Entry | undefined,
): Promise<unknown> {
  const { state } = core
  const { reads } = state.flights
  const flight: ReadFlight = {
    promise: undefined as unknown as Promise<Outcome>,
    answer: undefined as unknown as Promise<unknown>,
    sharing: 0,
    outcome: undefined,
    outdated: false,
  }
  flight.promise =
    corrupt === undefined
      ? decide(core, flight, key, storeKey, loader, times, peeked)
      : load(core, {
          work: flight,
          key,
          storeKey,
          loader,
          times,
          replaced: corrupt,
          refresh: undefined,
        })
  reads.set(storeKey, flight)
  const release = () => {
    if (reads.get(storeKey) === flight) reads.delete(storeKey)
  }
  flight.answer = flight.promise.then(
    (outcome) => {
      release()
      flight.outcome = outcome
      countReads(state, key, outcome.kind, 1 + flight.sharing)
      return outcome.value
    },
    (error: unknown) => {
      release()
      // The load failed: nothing usable was found, a miss.
      countReads(state, key, 'miss', 1 + flight.sharing)
      throw error
    },
  )
  return flight.answer
}

/** A read in flight, with the answer of the caller that started it. */
interface ReadFlight extends Flight<Outcome> {
  /** The value of the caller that started the read; shared, in frozen mode, by every joiner. */
  answer: Promise<unknown>
  /** How many joined callers share `answer` (counted when it settles). */
  sharing: number
  /** How the read ended, once `answer` has settled with a value. */
  outcome: Outcome | undefined
}

/**
 * A caller that found a flight for its key. In frozen mode it shares the very answer of the
 * caller that started the read (one promise for all: no caller can change what another reads);
 * in copy mode it decodes its own copy, so that one caller mutating its result never reaches
 * another.
 */
function join<T>(core: Core, key: string, flight: ReadFlight): Promise<T | undefined> {
  const { settings, state } = core
  state.counters.coalesced++
  if (settings.frozenValues) {
    flight.sharing++
    return flight.answer as Promise<T | undefined>
  }
  // Chained on the first caller's answer, not on the read: the first caller resumes first, and
  // the copies are decoded while whatever it does next (often the next read) is under way.
  return flight.answer.then(
    () => {
      const outcome = flight.outcome!
      countRead(state, key, outcome.kind)
      return callerCopy(settings, outcome.payload, outcome.value) as T | undefined
    },
    (error: unknown) => {
      countRead(state, key, 'miss')
      throw error
    },
  )
}

function countReads(
  state: Core['state'],
  key: string,
  kind: Outcome['kind'],
  callers: number,
): void {
  for (let i = 0; i < callers; i++) countRead(state, key, kind)
}

/** Reads the entry (past what was peeked) and decides: a hit, stale while one refresh runs, or a load. */
async function decide(
  core: Core,
  flight: Flight<Outcome>,
  key: string,
  storeKey: string,
  loader: Loader<unknown>,
  times: CallSettings,
  peeked: Peeked | undefined,
): Promise<Outcome> {
  const { settings, state } = core
  const entry =
    peeked === undefined
      ? await readEntry(core, key, storeKey, true, times.tags)
      : peeked.stored
        ? peeked.entry
        : await readAfterPeek(core, key, storeKey, peeked.entry, times.tags)
  if (entry !== undefined) {
    const now = Date.now()
    if (now < entry.staleUntil) {
      const value = entryValue(settings, state, key, entry)
      if (value !== CORRUPT) {
        const stale = { value, payload: entry.payload }
        if (now < entry.freshUntil) {
          const early = settings.earlyRefresh
          const due =
            entry === peeked?.entry
              ? peeked.due
              : early !== undefined && dueEarly(early, entry, now)
          if (due) {
            if (refreshInBackground(core, key, storeKey, loader, times, entry, stale)) {
              state.counters.earlyRefreshes++
            }
          }
          return { kind: 'hit', payload: entry.payload, value }
        }
        refreshInBackground(core, key, storeKey, loader, times, entry, stale)
        if (times.softMs > 0) {
          const refreshed = await withinSoftTimeout(core, storeKey, times.softMs)
          if (refreshed !== undefined) return refreshed
        }
        return { kind: 'stale', payload: entry.payload, value }
      }
    }
  }
  return load(core, {
    work: flight,
    key,
    storeKey,
    loader,
    times,
    replaced: entry,
    refresh: undefined,
  })
}

/**
 * The entry to decide on after a synchronous read found `entry`: the store's own answer when the
 * store was read, a fresh memory copy as it is, and otherwise what the store behind memory has.
 */
function readAfterPeek(
  core: Core,
  key: string,
  storeKey: string,
  entry: Entry | undefined,
  tags: readonly string[] | undefined,
): Entry | undefined | Promise<Entry | undefined> {
  if (core.peekIsStore) return entry
  if (entry !== undefined && fromMemory(entry, Date.now())) return entry
  return readBehindMemory(core, key, storeKey, entry, tags)
}

/** Asks each `admit` guard; the first that refuses blocks the key. */
export function admitted(core: Core, key: string): boolean {
  const { state } = core
  for (const guard of core.settings.admitters) {
    let admit: boolean
    try {
      admit = guard.admit!(key)
    } catch (error) {
      // A failing check never blocks a real key: let the request through and say so.
      report(state, 'guard', key, new GuardError(guard.name, key, error))
      continue
    }
    if (!admit) {
      state.counters.blocked++
      state.emitter.emit('blocked', {
        key,
        guard: guard.name,
        reason: 'refused before the store lookup',
      })
      return false
    }
  }
  return true
}
