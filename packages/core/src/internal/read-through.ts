import { GuardError } from '../errors.js'
import type { Loader } from '../options.js'
import type { Core } from './core.js'
import { CORRUPT, callerCopy, entryValue } from './decode-value.js'
import type { Entry } from './envelope.js'
import type { Flight } from './flights.js'
import { load, type Outcome } from './load.js'
import { peekEntry, readEntry } from './read-entry.js'
import { dueEarly, refreshInBackground, withinSoftTimeout } from './refresh.js'
import { countRead, report } from './report.js'
import type { CallSettings } from './settings.js'

/** No synchronous read was possible: the read path reads the entry itself. */
const NOT_PEEKED: unique symbol = Symbol('cacheguard.notPeeked')

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
  const joined = state.flights.reads.get(storeKey) as Flight<Outcome> | undefined
  if (joined !== undefined) return join(core, key, joined)
  let peeked: Entry | undefined | typeof NOT_PEEKED = NOT_PEEKED
  let corrupt: Entry | undefined
  if (core.peek !== undefined) {
    const entry = peekEntry(core, key, storeKey)
    if (entry !== undefined) {
      const now = Date.now()
      const early = settings.earlyRefresh
      if (now < entry.freshUntil && (early === undefined || !dueEarly(early, entry, now))) {
        const value = entryValue(settings, state, key, entry)
        if (value !== CORRUPT) {
          countRead(state, key, 'hit')
          return Promise.resolve(value as T)
        }
        // Reported once, here: the load replaces it.
        corrupt = entry
      }
    }
    // The store itself answered: a stale or missing entry is known, no store read is needed.
    if (core.peekIsStore) peeked = entry
  }
  const flight: Flight<Outcome> = {
    promise: undefined as unknown as Promise<Outcome>,
    outdated: false,
  }
  flight.promise =
    corrupt === undefined
      ? decide(core, flight, key, storeKey, loader as Loader<unknown>, times, peeked)
      : load(core, {
          work: flight,
          key,
          storeKey,
          loader: loader as Loader<unknown>,
          times,
          replaced: corrupt,
          refresh: undefined,
        })
  state.flights.reads.set(storeKey, flight)
  const release = () => {
    if (state.flights.reads.get(storeKey) === flight) state.flights.reads.delete(storeKey)
  }
  return flight.promise.then(
    (outcome) => {
      release()
      countRead(state, key, outcome.kind)
      return outcome.value as T | undefined
    },
    (error: unknown) => {
      release()
      // The load failed: nothing usable was found, a miss.
      countRead(state, key, 'miss')
      throw error
    },
  )
}

/** A caller that found a flight for its key: it shares the answer, in its own copy. */
function join<T>(core: Core, key: string, flight: Flight<Outcome>): Promise<T | undefined> {
  const { settings, state } = core
  state.counters.coalesced++
  return flight.promise.then(
    (outcome) => {
      countRead(state, key, outcome.kind)
      // A joined caller decodes its own copy: one caller mutating its result never reaches
      // another. Frozen values are shared: no caller can change what another reads.
      return callerCopy(settings, outcome.payload, outcome.value) as T | undefined
    },
    (error: unknown) => {
      countRead(state, key, 'miss')
      throw error
    },
  )
}

/** Reads the entry (unless peeked) and decides: a hit, stale while one refresh runs, or a load. */
async function decide(
  core: Core,
  flight: Flight<Outcome>,
  key: string,
  storeKey: string,
  loader: Loader<unknown>,
  times: CallSettings,
  peeked: Entry | undefined | typeof NOT_PEEKED,
): Promise<Outcome> {
  const { settings, state } = core
  const entry = peeked === NOT_PEEKED ? await readEntry(core, key, storeKey) : await peeked
  if (entry !== undefined) {
    const now = Date.now()
    if (now < entry.staleUntil) {
      const value = entryValue(settings, state, key, entry)
      if (value !== CORRUPT) {
        const stale = { value, payload: entry.payload }
        if (now < entry.freshUntil) {
          const early = settings.earlyRefresh
          if (early !== undefined && dueEarly(early, entry, now)) {
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

/** Asks each `admit` guard; the first that refuses blocks the key. */
function admitted(core: Core, key: string): boolean {
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
