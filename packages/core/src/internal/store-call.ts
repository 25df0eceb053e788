import {
  CacheGuardError,
  CircuitOpenError,
  StoreError,
  StoreTimeoutError,
  ValueTooLargeError,
} from '../errors.js'
import type { CacheStore } from '../store.js'
import type { Breaker } from './breaker.js'
import type { Counters } from './cache-state.js'
import type { Deadlines } from './deadlines.js'

/** Store calls of one cache under its operation timeout and its circuit breaker. */
export interface StoreCaller {
  /**
   * One store call under the timeout and the breaker: rejects with `CG_CIRCUIT_OPEN` at once while
   * the breaker is open, else with a typed `CG_STORE` / `CG_STORE_TIMEOUT` on any failure.
   */
  call<T>(operation: string, key: string, call: () => Promise<T>): Promise<T>
  /** The same, without asking the breaker first: for a caller that asked `refused()` itself. */
  send<T>(operation: string, key: string, call: () => Promise<T>): Promise<T>
  /** Whether the breaker refuses a call now (no breaker: never); a refused call is counted. */
  refused(): boolean
  /**
   * Tells the breaker how a call that did not go through `call` or `send` (one sent in a batch)
   * goes; resolves and rejects as `pending` does.
   */
  observe<T>(pending: Promise<T>): Promise<T>
}

export function createStoreCaller(
  store: CacheStore,
  counters: Counters,
  deadlines: Deadlines | undefined,
  breaker: Breaker | undefined,
): StoreCaller {
  const refused = (): boolean => {
    if (breaker === undefined || breaker.allow()) return false
    counters.shortCircuited++
    return true
  }
  // A value too large says nothing about the store's health: it is not counted against it. The
  // waiters of one failed batch share one cause, which the breaker counts once.
  const failed = (error: unknown): void => {
    if (breaker === undefined || error instanceof ValueTooLargeError) return
    breaker.failed((error as { cause?: unknown })?.cause ?? error)
  }
  const observe = <T>(pending: Promise<T>): Promise<T> => {
    if (breaker === undefined) return pending
    return pending.then(
      (result) => {
        breaker.succeeded()
        return result
      },
      (error: unknown) => {
        failed(error)
        throw error
      },
    )
  }
  const send = <T>(operation: string, key: string, call: () => Promise<T>): Promise<T> =>
    observe(withTimeout(deadlines, operation, key, call))

  return {
    refused,
    observe,
    send,
    call(operation, key, call) {
      if (refused()) return Promise.reject(new CircuitOpenError(operation, key, store.name))
      return send(operation, key, call)
    },
  }
}

/**
 * Runs one store call, turning any failure (a throw, a rejection, a timeout) into a typed
 * `CG_STORE` or `CG_STORE_TIMEOUT` error. No deadlines: an in-process store, no timer.
 */
function withTimeout<T>(
  deadlines: Deadlines | undefined,
  operation: string,
  key: string,
  call: () => Promise<T>,
): Promise<T> {
  let pending: Promise<T>
  try {
    pending = call()
  } catch (error) {
    return Promise.reject(storeError(operation, key, error))
  }
  if (deadlines === undefined) {
    return Promise.resolve(pending).catch((error: unknown) => {
      throw storeError(operation, key, error)
    })
  }
  return new Promise<T>((resolve, reject) => {
    const deadline = deadlines.watch(() => {
      reject(new StoreTimeoutError(operation, key, deadlines.timeoutMs))
    })
    Promise.resolve(pending).then(
      (value) => {
        deadline.settled = true
        resolve(value)
      },
      (error: unknown) => {
        deadline.settled = true
        reject(storeError(operation, key, error))
      },
    )
  })
}

/** A store's failure as a typed error: one the store typed itself (`CG_VALUE_TOO_LARGE`) keeps its code. */
export function storeError(
  operation: string,
  key: string | undefined,
  error: unknown,
): CacheGuardError {
  return error instanceof CacheGuardError ? error : new StoreError(operation, key, error)
}
