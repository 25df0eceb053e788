import { CircuitOpenError } from '../errors.js'
import type { StoreEntry } from '../store.js'
import { createBreaker } from './breaker.js'
import type { CacheState } from './cache-state.js'
import { createDeadlines } from './deadlines.js'
import { type Batched, createReadBatcher, createWriteBatcher, readAll } from './same-tick.js'
import type { Settings } from './settings.js'
import { createStoreCaller } from './store-call.js'

/**
 * The store behind the cache, as the cache calls it: every call under the operation timeout and
 * the circuit breaker (store-call.ts), reads and writes of one tick sent together (same-tick.ts).
 * Every method rejects typed (`CG_STORE`, `CG_STORE_TIMEOUT`, `CG_CIRCUIT_OPEN`); reporting is the
 * caller's.
 */
export interface RemoteTier {
  /** Whether the breaker refuses a call now (counted in `shortCircuited`); never without one. */
  refused(): boolean
  /**
   * The text under `storeKey`, `null` or `undefined` when absent. Does not ask the breaker: the
   * caller asks `refused()` first, since a refused read is a miss, not a failure.
   */
  read(key: string, storeKey: string): Promise<unknown>
  /** The reads sent until the next tick go out as one command (when reads are batched). */
  gatherReads(): void
  /**
   * The texts under many keys, in their order, with one store call (`getMany`) when the store has
   * one and reads are batched; else one read per key, sent together. Rejects typed, once for all,
   * and, like `read`, does not ask the breaker.
   */
  readMany(keys: readonly string[], storeKeys: readonly string[]): Promise<unknown[]>
  write(key: string, storeKey: string, text: string, ttlMs: number): Promise<unknown>
  /** Writes unless the store holds a greater fence; resolves whether it wrote. */
  writeFenced(
    key: string,
    storeKey: string,
    text: string,
    ttlMs: number,
    fence: number,
  ): Promise<boolean>
  /** The next fencing token for a key; `undefined` when the store cannot fence. */
  nextFence(key: string, storeKey: string): Promise<number | undefined>
  delete(key: string, storeKey: string): Promise<boolean>
}

export function createRemoteTier(settings: Settings, state: CacheState): RemoteTier {
  const { store } = settings
  const local = store.local === true
  // An in-process store cannot hang on a network: no deadlines for it.
  const deadlines = local ? undefined : createDeadlines(settings.storeTimeoutMs)
  const breaker =
    settings.breaker === undefined
      ? undefined
      : createBreaker(
          settings.breaker.failures,
          settings.breaker.openForMs,
          (breakerState, failures) => {
            state.emitter.emit('breaker', { state: breakerState, failures, store: store.name })
          },
          store.ready === undefined ? undefined : () => store.ready!(),
        )
  const caller = createStoreCaller(store, state.counters, deadlines, breaker)
  const batchedRead: Batched<string> | undefined =
    settings.batchReads && deadlines ? createReadBatcher(store, deadlines) : undefined
  const batchedWrite: Batched<StoreEntry> | undefined =
    settings.batchWrites && deadlines ? createWriteBatcher(store, deadlines) : undefined
  const canFence = typeof store.nextFence === 'function' && typeof store.setFenced === 'function'

  return {
    refused: caller.refused,
    read(key, storeKey) {
      if (batchedRead === undefined) return caller.send('read', key, () => store.get(storeKey))
      return caller.observe(batchedRead(storeKey, key))
    },
    gatherReads() {
      batchedRead?.gather()
    },
    readMany(keys, storeKeys) {
      if (batchedRead === undefined) {
        return Promise.all(storeKeys.map((storeKey, i) => this.read(keys[i]!, storeKey)))
      }
      return caller.send('read', keys[0]!, () => readAll(store, storeKeys))
    },
    write(key, storeKey, text, ttlMs) {
      if (batchedWrite === undefined) {
        return caller.call('write', key, () => store.set(storeKey, text, ttlMs))
      }
      if (caller.refused()) return Promise.reject(new CircuitOpenError('write', key, store.name))
      return caller.observe(batchedWrite({ key: storeKey, value: text, ttlMs }, key))
    },
    writeFenced: (key, storeKey, text, ttlMs, fence) =>
      caller.call('write', key, () => store.setFenced!(storeKey, text, ttlMs, fence)),
    nextFence: (key, storeKey) =>
      canFence
        ? caller.call('fence', key, () => store.nextFence!(storeKey))
        : Promise.resolve(undefined),
    delete: (key, storeKey) => caller.call('delete', key, () => store.delete(storeKey)),
  }
}
