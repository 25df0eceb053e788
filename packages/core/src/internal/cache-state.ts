import { randomUUID } from 'node:crypto'
import type { CacheStats } from '../events.js'
import { Emitter } from './emitter.js'
import { createFlights, type Flights } from './flights.js'
import { type HotKeys, hotKeyCounter } from './hot-keys.js'
import { createLimiter, type Limiter } from './limiter.js'
import { createLocalRecords, type LocalRecords } from './local-records.js'
import type { Settings } from './settings.js'

/** The counters behind `stats()`. */
export type Counters = Omit<CacheStats, 'hitRate'>

/** What changes while one cache runs; its settings (settings.ts) do not. */
export interface CacheState {
  /** Identifies this cache on the invalidation bus. */
  readonly id: string
  readonly counters: Counters
  readonly emitter: Emitter
  readonly flights: Flights
  /** The cap on concurrent loads; `undefined` when there is none. */
  readonly limiter: Limiter | undefined
  /** Counts requests per key when the `hotKeys` option is on. */
  readonly hotKeys: HotKeys | undefined
  /** The invalidations (tags, clear) this process made or heard, for its memory copies. */
  readonly records: LocalRecords
  /**
   * Record reads in flight, by store key: concurrent reads of entries that share a tag share one
   * read of its record (an invalidation here drops the ones it makes outdated).
   */
  readonly recordReads: Map<string, Promise<number>>
  /** Set by `close()`: every call rejects with `CG_CLOSED`. */
  closed: boolean
}

export function createState(settings: Settings): CacheState {
  return {
    id: randomUUID(),
    counters: {
      hits: 0,
      misses: 0,
      staleHits: 0,
      loads: 0,
      coalesced: 0,
      blocked: 0,
      overloaded: 0,
      corrupt: 0,
      errors: 0,
      shortCircuited: 0,
      fenced: 0,
      earlyRefreshes: 0,
      overdueLoads: 0,
      deletes: 0,
      tagDeletes: 0,
      expires: 0,
      tagExpires: 0,
      clears: 0,
    },
    emitter: new Emitter(),
    flights: createFlights(),
    limiter: Number.isFinite(settings.loadConcurrency)
      ? createLimiter(settings.loadConcurrency, settings.loadQueue)
      : undefined,
    hotKeys: settings.hotKeys > 0 ? hotKeyCounter(settings.hotKeys) : undefined,
    records: createLocalRecords(),
    recordReads: new Map(),
    closed: false,
  }
}
