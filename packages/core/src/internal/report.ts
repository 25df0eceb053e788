import { type CacheGuardError, CorruptEntryError } from '../errors.js'
import type { Operation } from '../events.js'
import type { CacheState } from './cache-state.js'

/** Counts and emits an error; never throws. */
export function report(
  state: CacheState,
  operation: Operation,
  key: string | undefined,
  error: CacheGuardError,
): void {
  state.counters.errors++
  state.emitter.emit('error', { key, operation, error })
}

/** Counts and reports an entry that is not valid; it reads as a miss. */
export function reportCorrupt(
  state: CacheState,
  key: string,
  reason: string,
  cause?: unknown,
): void {
  state.counters.corrupt++
  report(state, 'read', key, new CorruptEntryError(key, reason, cause))
}

/** How a read was answered, for stats and events. */
export type ReadKind = 'hit' | 'stale' | 'miss' | 'blocked'

/** Counts one caller's read and emits its event when someone listens. */
export function countRead(state: CacheState, key: string, kind: ReadKind): void {
  const { counters, emitter } = state
  if (kind === 'hit') {
    counters.hits++
    if (emitter.has('hit')) emitter.emit('hit', { key })
  } else if (kind === 'stale') {
    counters.staleHits++
    if (emitter.has('stale')) emitter.emit('stale', { key })
  } else {
    counters.misses++
    if (emitter.has('miss')) emitter.emit('miss', { key })
  }
}
