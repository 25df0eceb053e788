import type { Loader } from '../options.js'
import type { Core } from './core.js'
import { callerCopy } from './decode-value.js'
import type { Entry } from './envelope.js'
import type { Flight } from './flights.js'
import { load, type Outcome } from './load.js'
import type { CallSettings, EarlyRefresh } from './settings.js'

/**
 * XFetch (Vattani, Chierichetti and Lowenstein, VLDB 2015): refresh when
 * `now - delta * beta * ln(rand) >= expiry`, `rand` in (0, 1] so that `ln 0` never fires it.
 * An entry with no measured load time (written by `set`) is never refreshed early this way.
 */
export function dueEarly(option: EarlyRefresh, entry: Entry, now: number): boolean {
  if (option.beta !== undefined) {
    return now - entry.loadMs * option.beta * Math.log(1 - Math.random()) >= entry.freshUntil
  }
  return now >= entry.writtenAt + option.threshold * (entry.freshUntil - entry.writtenAt)
}

/**
 * Starts one background refresh for a key unless one is running; returns whether it started.
 * Fail-safe: a refresh that fails leaves the stale entry in place; the error is an event only.
 */
export function refreshInBackground(
  core: Core,
  key: string,
  storeKey: string,
  loader: Loader<unknown>,
  times: CallSettings,
  replaced: Entry,
  refresh: { value: unknown; payload: string | undefined },
): boolean {
  const { refreshes } = core.state.flights
  if (refreshes.has(storeKey)) return false
  const flight: Flight<Outcome> = {
    promise: undefined as unknown as Promise<Outcome>,
    outdated: false,
  }
  refreshes.set(storeKey, flight)
  flight.promise = load(core, { work: flight, key, storeKey, loader, times, replaced, refresh })
  flight.promise
    .catch(() => {
      // Already reported by load(); the stale entry stays where it is.
    })
    .finally(() => {
      if (refreshes.get(storeKey) === flight) refreshes.delete(storeKey)
    })
  return true
}

/**
 * The refresh's answer if it comes within `softMs`; `undefined` when it is late or fails (the
 * stale value is served and the refresh goes on). Each caller decodes its own copy.
 */
export function withinSoftTimeout(
  core: Core,
  storeKey: string,
  softMs: number,
): Promise<Outcome | undefined> {
  const refresh = core.state.flights.refreshes.get(storeKey) as Flight<Outcome> | undefined
  if (refresh === undefined) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), softMs)
    refresh.promise.then(
      (outcome) => {
        clearTimeout(timer)
        if (outcome.kind !== 'miss') return resolve(undefined)
        const { payload } = outcome
        resolve({ kind: 'miss', payload, value: callerCopy(core.settings, payload, outcome.value) })
      },
      () => {
        clearTimeout(timer)
        resolve(undefined)
      },
    )
  })
}
