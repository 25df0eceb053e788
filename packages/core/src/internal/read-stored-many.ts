import type { Loader } from '../options.js'
import type { Core } from './core.js'
import { CORRUPT } from './decode-value.js'
import type { Entry } from './envelope.js'
import { readStoredEntries } from './read-entry.js'
import { admitted, DUE, freshHit, readThroughStored } from './read-through.js'
import { countRead } from './report.js'
import type { CallSettings } from './settings.js'

/** A store read of many keys in flight, which other calls wanting one of them share. */
interface ManyRead {
  entries: Promise<Array<Entry | undefined>>
}

/** Per cache: the store key of each key a `getOrSetMany` read is fetching, and that read. */
const readsInFlight = new WeakMap<Core, Map<string, { read: ManyRead; index: number }>>()

/**
 * `getOrSetMany`'s keys in a cache with no memory tier. One `getMany` for every key that no
 * flight and no other call's read is fetching; keys another call is reading share its answer, so
 * 50 pages sharing ids that arrive together read each id once. A fresh entry is answered as it
 * comes (no flight, no promise of its own); every other key is decided on what was read, in its
 * own flight, as `getOrSet` decides.
 */
export async function readStoredThrough(
  core: Core,
  keys: readonly string[],
  storeKeys: readonly string[],
  loader: Loader<unknown>,
  times: CallSettings,
): Promise<unknown[]> {
  const { settings, state } = core
  const { reads } = state.flights
  let inFlight = readsInFlight.get(core)
  if (inFlight === undefined) {
    inFlight = new Map()
    readsInFlight.set(core, inFlight)
  }
  const answers: unknown[] = new Array(keys.length)
  const toRead: number[] = []
  // Positions answered by a flight (a promise), and positions waiting for another call's read.
  let pending: number[] | undefined
  let shared: Array<{ i: number; read: ManyRead; index: number }> | undefined
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    const storeKey = storeKeys[i]!
    if (settings.admitters.length > 0 && !admitted(core, key)) {
      state.hotKeys?.record(key)
      countRead(state, key, 'blocked')
      answers[i] = undefined
      continue
    }
    if (reads.size > 0 && reads.has(storeKey)) {
      // A flight is reading the key already: joined (there is one, so no entry is needed).
      state.hotKeys?.record(key)
      answers[i] = readThroughStored(core, key, storeKey, loader, times, undefined, false, false)
      pending ??= []
      pending.push(i)
      continue
    }
    const reading = inFlight.size === 0 ? undefined : inFlight.get(storeKey)
    if (reading === undefined) toRead.push(i)
    else {
      shared ??= []
      shared.push({ i, ...reading })
    }
  }
  if (toRead.length > 0) {
    const all = toRead.length === keys.length
    const readKeys = all ? keys : toRead.map((i) => keys[i]!)
    const readStoreKeys = all ? storeKeys : toRead.map((i) => storeKeys[i]!)
    const read: ManyRead = {
      entries: readStoredEntries(core, readKeys, readStoreKeys, times.tags),
    }
    for (let j = 0; j < readStoreKeys.length; j++) {
      inFlight.set(readStoreKeys[j]!, { read, index: j })
    }
    const entries = await read.entries
    for (const storeKey of readStoreKeys) {
      if (inFlight.get(storeKey)?.read === read) inFlight.delete(storeKey)
    }
    const now = Date.now()
    for (let j = 0; j < toRead.length; j++) {
      const i = toRead[j]!
      answers[i] = decideRead(core, readKeys[j]!, readStoreKeys[j]!, entries[j], now, loader, times)
      if (answers[i] instanceof Promise) {
        pending ??= []
        pending.push(i)
      }
    }
  }
  if (shared !== undefined) {
    // Decided after the call that read them has decided its own keys (its continuation runs
    // first): a key it found missing has its flight by now, and is joined.
    const found = new Map<ManyRead, Array<Entry | undefined>>()
    for (const { read } of shared) if (!found.has(read)) found.set(read, await read.entries)
    const now = Date.now()
    for (const { i, read, index } of shared) {
      const entry = found.get(read)![index]
      answers[i] = decideRead(core, keys[i]!, storeKeys[i]!, entry, now, loader, times)
      if (answers[i] instanceof Promise) {
        pending ??= []
        pending.push(i)
      }
    }
  }
  // Most calls of a warm cache are all hits: their answer is ready, with no promise per key.
  if (pending === undefined) return answers
  const settled = await Promise.all(pending.map((i) => answers[i]))
  for (let j = 0; j < pending.length; j++) answers[pending[j]!] = settled[j]
  return answers
}

/**
 * One key on what the store read found: a fresh entry's value at once, else a promise from the
 * key's flight (joined, or started on `entry`: stale, due for early refresh, missing or corrupt).
 */
function decideRead(
  core: Core,
  key: string,
  storeKey: string,
  entry: Entry | undefined,
  now: number,
  loader: Loader<unknown>,
  times: CallSettings,
): unknown {
  core.state.hotKeys?.record(key)
  let hit: unknown
  if (entry !== undefined && now < entry.freshUntil) {
    hit = freshHit(core, key, entry, now)
    if (hit !== DUE && hit !== CORRUPT) return hit
  }
  return readThroughStored(core, key, storeKey, loader, times, entry, hit === DUE, hit === CORRUPT)
}
