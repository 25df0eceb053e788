import type { CacheGuardError } from '../errors.js'
import type { CacheState } from './cache-state.js'
import type { Core } from './core.js'
import { decodeEntry, type Entry } from './envelope.js'
import { track, untrack, type Work } from './flights.js'
import { report, reportCorrupt } from './report.js'

const NO_ENTRY: Promise<undefined> = Promise.resolve(undefined)

/**
 * Reads an entry: from memory first, where a fresh copy is the answer, then from the store,
 * whose answer is kept in memory. Store failures and corrupt entries are reported and read as a
 * miss; an open breaker reads as a miss without asking the store, and so does a store that is
 * down while a stale memory copy exists: that copy is served within its grace.
 *
 * `memory: false` asks the store itself, past the memory tier.
 */
export function readEntry(
  core: Core,
  key: string,
  storeKey: string,
  memory = true,
): Promise<Entry | undefined> {
  if (core.peekIsStore) return Promise.resolve(peekEntry(core, key, storeKey))
  if (core.memory !== undefined) return readTiered(core, key, storeKey, memory)
  return readRemote(core, key, storeKey)
}

/** The decoded entry `core.peek` finds, reporting one that is not an envelope. Needs `core.peek`. */
export function peekEntry(core: Core, key: string, storeKey: string): Entry | undefined {
  const found = core.peek!(storeKey)
  if (typeof found !== 'string') return found
  reportCorrupt(core.state, key, found)
  return undefined
}

/** One promise hop over the store call: it sits on every remote hit. */
function readRemote(core: Core, key: string, storeKey: string): Promise<Entry | undefined> {
  const { remote, state } = core
  if (remote.refused()) return NO_ENTRY
  return remote.read(key, storeKey).then(
    (raw) => toEntry(state, key, raw),
    (error: unknown) => {
      report(state, 'read', key, error as CacheGuardError)
      return undefined
    },
  )
}

async function readTiered(
  core: Core,
  key: string,
  storeKey: string,
  memory: boolean,
): Promise<Entry | undefined> {
  let local: Entry | undefined
  if (memory) {
    local =
      core.peek === undefined
        ? toEntry(core.state, key, await core.memory!.get(storeKey))
        : peekEntry(core, key, storeKey)
    if (local !== undefined && Date.now() < local.freshUntil) return local
  }
  return readBehindMemory(core, key, storeKey, local)
}

/**
 * The store's entry, for a key whose memory copy (`local`, if any) was read and is not fresh: kept
 * in memory when it comes, and `local` is the answer when the store cannot give one. Needs the
 * memory tier.
 */
export async function readBehindMemory(
  core: Core,
  key: string,
  storeKey: string,
  local: Entry | undefined,
): Promise<Entry | undefined> {
  const { remote, state } = core
  const tier = core.memory!
  if (remote.refused()) return local
  // A write, delete or invalidation of the key while this read is in flight outdates its answer:
  // it must not reach memory (flights.ts).
  const fill: Work = { outdated: false }
  track(state.flights.fills, storeKey, fill)
  let raw: unknown
  try {
    raw = await remote.read(key, storeKey)
  } catch (error) {
    report(state, 'read', key, error as CacheGuardError)
    return local
  } finally {
    untrack(state.flights.fills, storeKey, fill)
  }
  const entry = toEntry(state, key, raw)
  if (entry !== undefined && !fill.outdated) tier.keep(storeKey, raw as string, entry.staleUntil)
  return entry
}

function toEntry(state: CacheState, key: string, raw: unknown): Entry | undefined {
  if (raw === undefined || raw === null) return undefined
  if (typeof raw !== 'string') {
    reportCorrupt(state, key, `the store returned a ${typeof raw}, not a string`)
    return undefined
  }
  const entry = decodeEntry(raw)
  if (typeof entry === 'string') {
    reportCorrupt(state, key, entry)
    return undefined
  }
  return entry
}
