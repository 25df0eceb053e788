import {
  CacheGuardError,
  CircuitOpenError,
  CorruptEntryError,
  StoreError,
  ValueTooLargeError,
} from '../errors.js'
import { type CacheContext, report, storeCall } from './context.js'
import { decodeEntry, type Entry } from './envelope.js'

// The paths between a cache and its storage: the remote store behind its circuit breaker, and the
// memory tier (`l1`) in front of it. Every read, write and delete of an entry goes through here.

const NO_ENTRY: Promise<undefined> = Promise.resolve(undefined)

/**
 * Reads and decodes an entry. Store failures and corrupt entries are reported and read as a miss;
 * an open breaker reads as a miss without asking the store. Without a memory tier this is one
 * promise hop over the store call: it sits on every remote hit.
 */
export function readEntry(
  ctx: CacheContext,
  key: string,
  storeKey: string,
  memory = true,
): Promise<Entry | undefined> {
  if (ctx.l1 !== undefined) return readTiered(ctx, key, storeKey, memory)
  if (refused(ctx)) return NO_ENTRY
  const breaker = ctx.breaker
  return sendRead(ctx, key, storeKey).then(
    (raw) => {
      breaker?.succeeded()
      return toEntry(ctx, key, raw)
    },
    (error: unknown) => {
      storeFailed(ctx, error)
      report(ctx, 'read', key, error as CacheGuardError)
      return undefined
    },
  )
}

/** Whether the breaker refuses a call now (no breaker: never); a refused call is counted. */
function refused(ctx: CacheContext): boolean {
  if (ctx.breaker === undefined || ctx.breaker.allow()) return false
  ctx.counters.shortCircuited++
  return true
}

/**
 * Counts a failed store call towards the breaker, unless the store refused the input itself (a
 * value too large says nothing about the store's health).
 */
function storeFailed(ctx: CacheContext, error: unknown): void {
  if (error instanceof ValueTooLargeError) return
  ctx.breaker?.failed(causeOf(error))
}

/** The failure under a typed error: the waiters of one failed batch share it, and count once. */
function causeOf(error: unknown): unknown {
  return (error as { cause?: unknown })?.cause ?? error
}

/**
 * A read from the store that will fill the memory tier, until a write or delete of its key (here,
 * or announced by the bus) makes its answer too old to keep.
 */
interface PendingFill {
  outdated: boolean
}

/** Marks the reads in flight for `storeKey` as outdated: their answers must not reach memory. */
function outdateFills(ctx: CacheContext, storeKey: string): void {
  const pending = ctx.pendingFills.get(storeKey)
  if (pending) for (const fill of pending) fill.outdated = true
}

/**
 * Drops this process's memory copy of `storeKey` (a delete here, or a write or delete announced by
 * the bus), outdating the reads in flight that would put it back. Resolves whether one was there.
 */
export function forgetLocal(ctx: CacheContext, storeKey: string): Promise<boolean> {
  if (ctx.l1 === undefined) return Promise.resolve(false)
  outdateFills(ctx, storeKey)
  return ctx.l1.delete(storeKey).catch(() => false)
}

/**
 * Memory first: a fresh copy there is the answer. Otherwise the remote store, whose entry is kept
 * in memory; when the store cannot answer (down, or its breaker open), a stale memory copy is
 * still served within its grace, so hot keys survive a Redis outage.
 */
async function readTiered(
  ctx: CacheContext,
  key: string,
  storeKey: string,
  memory: boolean,
): Promise<Entry | undefined> {
  let local: Entry | undefined
  if (memory) {
    const text = await ctx.l1!.get(storeKey).catch(() => undefined)
    local = text === undefined || text === null ? undefined : toEntry(ctx, key, text)
    if (local !== undefined && Date.now() < local.freshUntil) return local
  }
  if (refused(ctx)) return local
  const breaker = ctx.breaker
  // A set or delete while this read is in flight outdates its answer (see outdateFills).
  const fill: PendingFill = { outdated: false }
  let pending = ctx.pendingFills.get(storeKey)
  if (pending === undefined) {
    pending = new Set()
    ctx.pendingFills.set(storeKey, pending)
  }
  pending.add(fill)
  let raw: unknown
  try {
    raw = await sendRead(ctx, key, storeKey)
    breaker?.succeeded()
  } catch (error) {
    storeFailed(ctx, error)
    report(ctx, 'read', key, error as CacheGuardError)
    return local
  } finally {
    pending.delete(fill)
    if (pending.size === 0) ctx.pendingFills.delete(storeKey)
  }
  const entry = toEntry(ctx, key, raw)
  if (entry !== undefined && !fill.outdated) {
    keepInMemory(ctx, storeKey, raw as string, entry.staleUntil)
  }
  return entry
}

function sendRead(ctx: CacheContext, key: string, storeKey: string): Promise<unknown> {
  return ctx.batchedRead
    ? ctx.batchedRead(storeKey, key)
    : storeCall(ctx, 'read', key, () => ctx.store.get(storeKey))
}

/** A memory copy lives as long as the entry may be served, stale time included. */
function keepInMemory(ctx: CacheContext, storeKey: string, text: string, staleUntil: number): void {
  const ttlMs = Math.ceil(staleUntil - Date.now())
  if (ttlMs >= 1) ctx.l1!.set(storeKey, text, ttlMs).catch(() => {})
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

/** Counts and reports an entry that is not valid; it reads as a miss. */
export function reportCorrupt(
  ctx: CacheContext,
  key: string,
  reason: string,
  cause?: unknown,
): void {
  ctx.counters.corrupt++
  report(ctx, 'read', key, new CorruptEntryError(key, reason, cause))
}

/**
 * Writes one encoded entry: to memory, then to the store (through the same-tick batcher when there
 * is one), then tells the other processes to drop their memory copies. Rejects typed; an open
 * breaker rejects with `CG_CIRCUIT_OPEN` at once, the memory copy written.
 */
export function storeWrite(
  ctx: CacheContext,
  key: string,
  storeKey: string,
  entry: { value: string; ttlMs: number },
): Promise<unknown> {
  if (ctx.l1 !== undefined) {
    outdateFills(ctx, storeKey)
    ctx.l1.set(storeKey, entry.value, entry.ttlMs).catch(() => {})
  }
  if (refused(ctx)) return Promise.reject(new CircuitOpenError('write', key, ctx.store.name))
  const breaker = ctx.breaker
  const sent = ctx.batchedWrite
    ? ctx.batchedWrite({ key: storeKey, value: entry.value, ttlMs: entry.ttlMs }, key)
    : storeCall(ctx, 'write', key, () => ctx.store.set(storeKey, entry.value, entry.ttlMs))
  if (breaker === undefined && ctx.bus === undefined) return sent
  return sent.then(
    () => {
      breaker?.succeeded()
      invalidateElsewhere(ctx, key, storeKey)
    },
    (error: unknown) => {
      storeFailed(ctx, error)
      throw error
    },
  )
}

/**
 * Writes one encoded entry through the store's `setFenced`: refused (resolves `false`, counted in
 * `stats().fenced`) when the store holds an entry with a greater fence. Memory is written only
 * once the store has accepted, and dropped when it refused: the newer entry is in the store.
 */
export async function storeWriteFenced(
  ctx: CacheContext,
  key: string,
  storeKey: string,
  entry: { value: string; ttlMs: number },
  fence: number,
): Promise<boolean> {
  const accepted = await guarded(ctx, 'write', key, () =>
    ctx.store.setFenced!(storeKey, entry.value, entry.ttlMs, fence),
  )
  if (!accepted) {
    ctx.counters.fenced++
    await forgetLocal(ctx, storeKey)
    return false
  }
  if (ctx.l1 !== undefined) {
    outdateFills(ctx, storeKey)
    ctx.l1.set(storeKey, entry.value, entry.ttlMs).catch(() => {})
  }
  invalidateElsewhere(ctx, key, storeKey)
  return true
}

/** The next fencing token for a key from the store; `undefined` when it cannot fence. Rejects typed. */
export function takeFence(
  ctx: CacheContext,
  key: string,
  storeKey: string,
): Promise<number | undefined> {
  const { store } = ctx
  if (typeof store.nextFence !== 'function' || typeof store.setFenced !== 'function') {
    return Promise.resolve(undefined)
  }
  return guarded(ctx, 'fence', key, () => store.nextFence!(storeKey))
}

/** One store call behind the breaker and the operation timeout; rejects typed. */
async function guarded<T>(
  ctx: CacheContext,
  operation: string,
  key: string,
  call: () => Promise<T>,
): Promise<T> {
  if (refused(ctx)) throw new CircuitOpenError(operation, key, ctx.store.name)
  try {
    const result = await storeCall(ctx, operation, key, call)
    ctx.breaker?.succeeded()
    return result
  } catch (error) {
    storeFailed(ctx, error)
    throw error
  }
}

/** Deletes an entry from memory and the store, and from the other processes' memory. Rejects typed (reported). */
export async function removeEntry(
  ctx: CacheContext,
  key: string,
  storeKey: string,
): Promise<boolean> {
  const local = await forgetLocal(ctx, storeKey)
  try {
    const removed = await guarded(ctx, 'delete', key, () => ctx.store.delete(storeKey))
    invalidateElsewhere(ctx, key, storeKey)
    return removed || local
  } catch (error) {
    report(ctx, 'delete', key, error as CacheGuardError)
    throw error
  }
}

function invalidateElsewhere(ctx: CacheContext, key: string, storeKey: string): void {
  if (ctx.bus === undefined) return
  const failed = (error: unknown) => report(ctx, 'invalidate', key, asCacheGuardError(error, key))
  try {
    Promise.resolve(ctx.bus.publish({ origin: ctx.id, keys: [storeKey] })).catch(failed)
  } catch (error) {
    failed(error)
  }
}

function asCacheGuardError(error: unknown, key: string): CacheGuardError {
  // A bus is a store-side component: its failures are store failures.
  return error instanceof CacheGuardError ? error : new StoreError('invalidate', key, error)
}
