import type { CacheStats } from '@cacheguard/core'

/**
 * The counters of `cache.stats()` exported as `_total` counters. Left out: `errors` (exported by
 * code and operation from the `error` event), `blocked` (by guard, from the `blocked` event), the
 * invalidation counts (by kind, from the `invalidate` event: `invalidations_total`),
 * `hitRate` (a ratio of two counters is computed in PromQL, over the window you choose) and the
 * gauges (`STAT_GAUGES`).
 */
export type StatName = Exclude<
  keyof CacheStats,
  'errors' | 'blocked' | 'hitRate' | GaugeName | InvalidationStat
>

/** The counts of `cache.stats()` by kind of invalidation, exported as one labelled counter. */
export type InvalidationStat = 'deletes' | 'tagDeletes' | 'expires' | 'tagExpires' | 'clears'

/** The gauges of `cache.stats()`: a value now, that goes down as well as up. */
export type GaugeName = 'overdueLoads'

/** The counters of a lock guard's `stats()`, as `lockGuard` from `@cacheguard/lock` returns them. */
export interface LockGuardStatsLike {
  acquired: number
  waited: number
  servedByOthers: number
  foundAfterLock: number
  refreshesSkipped: number
  timeouts: number
  unavailable: number
  lost: number
}

interface Definition<S> {
  stat: S
  name: string
  help: string
}

export const STAT_COUNTERS: ReadonlyArray<Definition<StatName>> = [
  {
    stat: 'hits',
    name: 'hits_total',
    help: 'Reads answered by a fresh entry (including a remembered "not found").',
  },
  {
    stat: 'misses',
    name: 'misses_total',
    help: 'Reads that found no usable entry and went to the loader (or joined a load).',
  },
  {
    stat: 'staleHits',
    name: 'stale_hits_total',
    help: 'Reads answered by an entry past its fresh time but within grace.',
  },
  { stat: 'loads', name: 'loads_total', help: 'Loader calls.' },
  {
    stat: 'coalesced',
    name: 'coalesced_total',
    help: 'Callers that joined a read or load already in flight for their key.',
  },
  {
    stat: 'overloaded',
    name: 'overloaded_total',
    help: 'Loads refused with CG_OVERLOADED: every load slot and queue place was taken.',
  },
  {
    stat: 'corrupt',
    name: 'corrupt_entries_total',
    help: 'Stored entries that were not valid and were read as misses.',
  },
  {
    stat: 'shortCircuited',
    name: 'short_circuited_total',
    help: 'Store calls not sent because the circuit breaker was open.',
  },
  {
    stat: 'fenced',
    name: 'fenced_writes_total',
    help: 'Writes the store refused because it held an entry with a newer fencing token.',
  },
  {
    stat: 'earlyRefreshes',
    name: 'early_refreshes_total',
    help: 'Background refreshes started by earlyRefresh before the entry expired.',
  },
]

export const STAT_GAUGES: ReadonlyArray<Definition<GaugeName>> = [
  {
    stat: 'overdueLoads',
    name: 'overdue_loads',
    help: 'Loads running past their hard timeout now, each keeping its load slot until its loader settles.',
  },
]

export const LOCK_COUNTERS: ReadonlyArray<Definition<keyof LockGuardStatsLike>> = [
  {
    stat: 'acquired',
    name: 'lock_acquired_total',
    help: 'Locks taken: loads run by this process for the fleet.',
  },
  {
    stat: 'waited',
    name: 'lock_waits_total',
    help: 'Misses that found the key locked by another process and waited.',
  },
  {
    stat: 'servedByOthers',
    name: 'lock_served_by_others_total',
    help: 'Waits answered by the value another process loaded: loads saved here.',
  },
  {
    stat: 'foundAfterLock',
    name: 'lock_found_after_lock_total',
    help: 'Re-reads after taking the lock that found the value already written.',
  },
  {
    stat: 'refreshesSkipped',
    name: 'lock_refreshes_skipped_total',
    help: 'Background refreshes skipped because another process was refreshing the key.',
  },
  { stat: 'timeouts', name: 'lock_timeouts_total', help: 'Waits that reached waitTimeout.' },
  {
    stat: 'unavailable',
    name: 'lock_unavailable_total',
    help: 'Lock attempts the Redlock servers could not answer (CG_LOCK_UNAVAILABLE).',
  },
  {
    stat: 'lost',
    name: 'lock_lost_total',
    help: 'Locks lost while loading: the extension failed (CG_LOCK_LOST).',
  },
]

/** The metrics fed by events and warmup reports, by role. */
export const EVENT_METRICS = {
  loadDuration: {
    name: 'load_duration_seconds',
    help: 'Duration of loader calls that returned (a loader that throws is in errors_total), in seconds.',
    labelNames: ['cache'],
  },
  blocked: {
    name: 'blocked_total',
    help: 'Keys a guard answered as "not found" without loading (a Bloom filter, say).',
    labelNames: ['cache', 'guard'],
  },
  invalidations: {
    name: 'invalidations_total',
    help: 'Invalidations that succeeded, by kind: delete, deleteTags, expire, expireTags, clear.',
    labelNames: ['cache', 'kind'],
  },
  errors: {
    name: 'errors_total',
    help: 'Errors reported by the cache, by code (docs/errors.md) and operation.',
    labelNames: ['cache', 'code', 'operation'],
  },
  breakerState: {
    name: 'breaker_state',
    help: 'The state of the store circuit breaker: 1 for the current state, 0 for the others.',
    labelNames: ['cache', 'store', 'state'],
  },
  breakerTransitions: {
    name: 'breaker_transitions_total',
    help: 'Changes of state of the store circuit breaker, by the state entered.',
    labelNames: ['cache', 'store', 'state'],
  },
  warmupRuns: {
    name: 'warmup_runs_total',
    help: 'Warmup runs, by outcome: complete, partial (some keys failed) or aborted.',
    labelNames: ['cache', 'outcome'],
  },
  warmupKeys: {
    name: 'warmup_keys_total',
    help: 'Keys handled by warmup runs, by result: loaded, skipped (already fresh) or failed.',
    labelNames: ['cache', 'result'],
  },
  warmupLastDuration: {
    name: 'warmup_last_run_duration_seconds',
    help: 'How long the last warmup run took, in seconds.',
    labelNames: ['cache'],
  },
  warmupLastTimestamp: {
    name: 'warmup_last_run_timestamp_seconds',
    help: 'When the last warmup run ended, in seconds since the Unix epoch.',
    labelNames: ['cache'],
  },
  warmupSkippedTicks: {
    name: 'warmup_skipped_ticks_total',
    help: 'Scheduled warmup ticks that did not run here, by reason: running, elsewhere, lock-error.',
    labelNames: ['cache', 'reason'],
  },
  warmupErrors: {
    name: 'warmup_errors_total',
    help: 'Failures of a scheduled warmup run or of its lock (scheduleWarmup onError).',
    labelNames: ['cache'],
  },
} as const

/** The states a breaker gauge has a series for. */
export const BREAKER_STATES = ['closed', 'open', 'half-open'] as const
