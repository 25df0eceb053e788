import type { CacheGuardError } from './errors.js'
import type { BreakerState } from './internal/breaker.js'

/** The counters of one cache since it was created. */
export interface CacheStats {
  /** Reads answered by a fresh entry (including remembered "not found"). */
  hits: number
  /** Reads that found no usable entry and went to the loader (or joined a load). */
  misses: number
  /** Reads answered by an entry past its fresh time but within grace. */
  staleHits: number
  /** Loader calls. */
  loads: number
  /** Callers that joined a read or load already in flight for their key instead of starting one. */
  coalesced: number
  /** Keys a guard answered as "not found" without loading. */
  blocked: number
  /** Loads refused because every load slot was taken and the queue was full (`CG_OVERLOADED`). */
  overloaded: number
  /** Stored entries that were not valid and were treated as misses. */
  corrupt: number
  /** Store calls not sent because the circuit breaker was open. */
  shortCircuited: number
  /** Fenced writes the store refused: a load that lost its lock, or was overtaken, found a newer entry. */
  fenced: number
  /** Background refreshes started by `earlyRefresh` before the entry expired. */
  earlyRefreshes: number
  /**
   * Loads still running past their hard timeout (a gauge, not a counter): their callers were
   * answered `CG_LOAD_TIMEOUT` and their loader's `signal` aborted, but a loader that ignores it
   * keeps its `loadConcurrency` slot until it settles.
   */
  overdueLoads: number
  /** `delete` calls that succeeded. */
  deletes: number
  /** `deleteTags` calls that succeeded. */
  tagDeletes: number
  /** `expire` calls that succeeded. */
  expires: number
  /** `expireTags` calls that succeeded. */
  tagExpires: number
  /** `clear` calls that succeeded. */
  clears: number
  /** Errors reported through the `error` event: store failures, loader failures, corrupt entries. */
  errors: number
  /** hits / (hits + misses), 0 before the first read. */
  hitRate: number
}

/** What an `invalidate` event reports. */
export type InvalidationEventKind = 'delete' | 'deleteTags' | 'expire' | 'expireTags' | 'clear'

/** Where an error happened. */
export type Operation = 'read' | 'write' | 'delete' | 'load' | 'refresh' | 'guard' | 'invalidate'

/** The events of a cache and what each carries. */
export interface CacheEvents {
  hit: { key: string }
  miss: { key: string }
  stale: { key: string }
  load: { key: string; found: boolean; durationMs: number }
  /**
   * A `loadMany` call of `getOrSetMany` answered: the `keys` it was asked, how many it `found`, and
   * the keys it answered that were not asked (`ignored`: a query that returns more than it was
   * asked for, or keys in another form than asked, such as numbers for strings).
   */
  loadMany: {
    keys: readonly string[]
    found: number
    ignored: readonly string[]
    durationMs: number
  }
  blocked: { key: string; guard: string; reason: string | undefined }
  error: { key: string | undefined; operation: Operation; error: CacheGuardError }
  /**
   * A load passed its hard timeout and is still running: it keeps its load slot until its loader
   * settles. `overdueLoads` is how many are running past their hard timeout now, this one included.
   */
  overdue: { key: string; hardTimeoutMs: number; overdueLoads: number }
  /**
   * An invalidation succeeded: `delete` and `expire` name the `key`, `deleteTags` and `expireTags`
   * the `tags`; `clear` neither.
   */
  invalidate: { kind: InvalidationEventKind; key?: string; tags?: readonly string[] }
  /** The store's circuit breaker changed state; `failures` is the run of failures that led there. */
  breaker: { state: BreakerState; failures: number; store: string }
}

export type CacheEventName = keyof CacheEvents
export type Listener<E extends CacheEventName> = (payload: CacheEvents[E]) => void
