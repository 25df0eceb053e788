/** Every error code cacheguard raises or reports. `docs/errors.md` lists each one. */
export type ErrorCode =
  | 'CG_INVALID_KEY'
  | 'CG_SERIALIZE'
  | 'CG_CORRUPT_ENTRY'
  | 'CG_STORE'
  | 'CG_STORE_TIMEOUT'
  | 'CG_LOADER'
  | 'CG_GUARD'
  | 'CG_BLOOM_CONFIG_MISMATCH'
  | 'CG_OVERLOADED'
  | 'CG_CIRCUIT_OPEN'
  | 'CG_LOAD_TIMEOUT'
  | 'CG_LOCK_TIMEOUT'
  | 'CG_LOCK_UNAVAILABLE'
  | 'CG_LOCK_LOST'
  | 'CG_VALUE_TOO_LARGE'
  | 'CG_INVALID_TAG'
  | 'CG_CLOSED'
  | 'CG_BATCH_RESULT'

export interface CacheGuardErrorOptions {
  /** The cache key involved, when there is one. */
  key?: string | undefined
  /** The underlying error. */
  cause?: unknown
}

/**
 * The base of every error cacheguard raises: a stable `code`, the `key` involved and a `cause`.
 *
 * @example
 * try { await cache.getOrSet(key, load) } catch (error) {
 *   if (error instanceof CacheGuardError && error.code === 'CG_INVALID_KEY') return badRequest()
 *   throw error
 * }
 */
export class CacheGuardError extends Error {
  override readonly name: string = 'CacheGuardError'
  readonly code: ErrorCode
  readonly key: string | undefined

  constructor(code: ErrorCode, message: string, options: CacheGuardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.key = options.key
  }
}

/** A key that is not a non-empty string, or is longer than `maxKeyLength` bytes. Nothing is called. */
export class InvalidKeyError extends CacheGuardError {
  override readonly name = 'InvalidKeyError'
  constructor(message: string, key?: string) {
    super('CG_INVALID_KEY', message, { key })
  }
}

/** A value the serializer cannot round-trip (BigInt, a cycle, a function, a Map). Nothing is written. */
export class SerializeError extends CacheGuardError {
  override readonly name = 'SerializeError'
  constructor(key: string | undefined, cause: unknown) {
    super('CG_SERIALIZE', `Cannot serialize the value for key \`${key}\`: ${reasonOf(cause)}`, {
      key,
      cause,
    })
  }
}

/** A stored entry that is not a valid cacheguard envelope. Reported as an event; the read is a miss. */
export class CorruptEntryError extends CacheGuardError {
  override readonly name = 'CorruptEntryError'
  constructor(key: string, reason: string, cause?: unknown) {
    super('CG_CORRUPT_ENTRY', `The stored entry for key \`${key}\` is not valid: ${reason}`, {
      key,
      cause,
    })
  }
}

/** The store failed an operation (connection refused, command error). */
export class StoreError extends CacheGuardError {
  override readonly name = 'StoreError'
  readonly operation: string
  constructor(operation: string, key: string | undefined, cause: unknown) {
    super('CG_STORE', `The store failed to ${operation} key \`${key}\`: ${reasonOf(cause)}`, {
      key,
      cause,
    })
    this.operation = operation
  }
}

/** The store did not answer within `timeout`. */
export class StoreTimeoutError extends CacheGuardError {
  override readonly name = 'StoreTimeoutError'
  readonly operation: string
  constructor(operation: string, key: string | undefined, timeoutMs: number) {
    super(
      'CG_STORE_TIMEOUT',
      `The store did not ${operation} key \`${key}\` within ${timeoutMs} ms`,
      {
        key,
      },
    )
    this.operation = operation
  }
}

/**
 * A loader failure as reported in `error` events (callers receive the loader's own error).
 * Its `cause` is what the loader threw.
 */
export class LoaderError extends CacheGuardError {
  override readonly name = 'LoaderError'
  constructor(key: string, cause: unknown) {
    super('CG_LOADER', `The loader for key \`${key}\` failed: ${reasonOf(cause)}`, { key, cause })
  }
}

/** A guard failed outside the loader (its own check, or its `written` hook). */
export class GuardError extends CacheGuardError {
  override readonly name = 'GuardError'
  readonly guard: string
  constructor(guard: string, key: string, cause: unknown) {
    super('CG_GUARD', `The guard \`${guard}\` failed for key \`${key}\`: ${reasonOf(cause)}`, {
      key,
      cause,
    })
    this.guard = guard
  }
}

/**
 * A shared Bloom filter was opened with other parameters (capacity, error rate, hashing) than the
 * ones stored beside it. Using it anyway would report real members absent.
 */
export class BloomConfigMismatchError extends CacheGuardError {
  override readonly name = 'BloomConfigMismatchError'
  constructor(filterKey: string, expected: string, stored: string) {
    super(
      'CG_BLOOM_CONFIG_MISMATCH',
      `The Bloom filter \`${filterKey}\` was created with ${stored}, but is opened with ${expected}: open it with the stored parameters, or rebuild it`,
      { key: filterKey },
    )
  }
}

/**
 * Every load slot (`loadConcurrency`) is taken and the queue (`loadQueue`) is full: the loader was
 * not called, so the database behind the cache is not asked for more than it was given.
 */
export class OverloadedError extends CacheGuardError {
  override readonly name = 'OverloadedError'
  constructor(key: string, concurrency: number, queue: number, overdue = 0) {
    const late =
      overdue === 0
        ? ''
        : `; ${overdue} of them are past their hard timeout, keeping their slot until their loader settles (make loaders honour \`signal\`)`
    super(
      'CG_OVERLOADED',
      `Not loading key \`${key}\`: ${concurrency} loads are running and ${queue} are waiting (loadConcurrency, loadQueue)${late}`,
      { key },
    )
  }
}

/**
 * The store failed too many times in a row and its circuit breaker is open: the write or delete
 * was not sent to it (the memory tier, if any, was updated). The breaker tries the store again
 * after `breaker.openFor`.
 */
export class CircuitOpenError extends CacheGuardError {
  override readonly name = 'CircuitOpenError'
  constructor(operation: string, key: string, store: string) {
    super(
      'CG_CIRCUIT_OPEN',
      `Not sending the ${operation} of key \`${key}\` to store \`${store}\`: its circuit breaker is open after repeated failures`,
      { key },
    )
  }
}

/**
 * The load ran past its hard timeout (`timeout.hard`): the callers waiting on it get this, and the
 * loader's `signal` is aborted with it. A loader that finishes anyway still fills the cache.
 */
export class LoadTimeoutError extends CacheGuardError {
  override readonly name = 'LoadTimeoutError'
  constructor(key: string, ms: number) {
    super(
      'CG_LOAD_TIMEOUT',
      `The load of key \`${key}\` took longer than its hard timeout of ${ms} ms`,
      {
        key,
      },
    )
  }
}

/** A lock guard waited `waitTimeout` for another process to load the key, and was told to throw. */
export class LockTimeoutError extends CacheGuardError {
  override readonly name = 'LockTimeoutError'
  constructor(key: string, ms: number) {
    super(
      'CG_LOCK_TIMEOUT',
      `Waited ${ms} ms for another process to load key \`${key}\` (waitTimeout) and onWaitTimeout is 'throw'`,
      { key },
    )
  }
}

/** A lock guard could not reach enough lock servers to take or check the key's lock. */
export class LockUnavailableError extends CacheGuardError {
  override readonly name = 'LockUnavailableError'
  constructor(key: string, cause: unknown) {
    super(
      'CG_LOCK_UNAVAILABLE',
      `The lock for key \`${key}\` could not be taken: ${reasonOf(cause)}`,
      {
        key,
        cause,
      },
    )
  }
}

/**
 * The lock of a running load could not be extended (it expired, or another process took it): the
 * loader's `signal` is aborted with this, and a fencing store refuses the load's late write.
 */
export class LockLostError extends CacheGuardError {
  override readonly name = 'LockLostError'
  constructor(key: string, cause: unknown) {
    super(
      'CG_LOCK_LOST',
      `The lock for key \`${key}\` was lost while loading: ${reasonOf(cause)}`,
      {
        key,
        cause,
      },
    )
  }
}

/**
 * A value larger than the store can hold (Memcached's item size, say): the store refused it before
 * sending anything, and nothing was written.
 */
export class ValueTooLargeError extends CacheGuardError {
  override readonly name = 'ValueTooLargeError'
  readonly bytes: number
  readonly limit: number
  constructor(key: string | undefined, bytes: number, limit: number) {
    super(
      'CG_VALUE_TOO_LARGE',
      `The value for key \`${key}\` is ${bytes} bytes, over the store's limit of ${limit}: nothing was written`,
      { key },
    )
    this.bytes = bytes
    this.limit = limit
  }
}

/** A tag that is not a non-empty string of at most 200 UTF-8 bytes, or more than 32 tags. Nothing is called or written. */
export class InvalidTagError extends CacheGuardError {
  override readonly name = 'InvalidTagError'
  constructor(message: string, key?: string) {
    super('CG_INVALID_TAG', message, { key })
  }
}

/** A call to a cache after its `close()`: nothing is read, loaded or written. */
export class CacheClosedError extends CacheGuardError {
  override readonly name = 'CacheClosedError'
  constructor(operation: string, key?: string) {
    super('CG_CLOSED', `Cannot ${operation}: the cache was closed`, { key })
  }
}

/** A `loadMany` that resolved something other than a `Map` or a plain object keyed by key. */
export class BatchResultError extends CacheGuardError {
  override readonly name = 'BatchResultError'
  constructor(got: string, key?: string) {
    super(
      'CG_BATCH_RESULT',
      `Expected loadMany to resolve a Map or a plain object keyed by key, got ${got}`,
      {
        key,
      },
    )
  }
}

/** Every error class, by code, so callers can match on `errors.CG_STORE` and docs stay in step. */
export const errors = {
  CG_INVALID_KEY: InvalidKeyError,
  CG_SERIALIZE: SerializeError,
  CG_CORRUPT_ENTRY: CorruptEntryError,
  CG_STORE: StoreError,
  CG_STORE_TIMEOUT: StoreTimeoutError,
  CG_LOADER: LoaderError,
  CG_GUARD: GuardError,
  CG_BLOOM_CONFIG_MISMATCH: BloomConfigMismatchError,
  CG_OVERLOADED: OverloadedError,
  CG_CIRCUIT_OPEN: CircuitOpenError,
  CG_LOAD_TIMEOUT: LoadTimeoutError,
  CG_LOCK_TIMEOUT: LockTimeoutError,
  CG_LOCK_UNAVAILABLE: LockUnavailableError,
  CG_LOCK_LOST: LockLostError,
  CG_VALUE_TOO_LARGE: ValueTooLargeError,
  CG_INVALID_TAG: InvalidTagError,
  CG_CLOSED: CacheClosedError,
  CG_BATCH_RESULT: BatchResultError,
} as const satisfies Record<ErrorCode, new (...args: never[]) => CacheGuardError>

/**
 * The message of what a failure carries, for an error's own message. Never throws: a loader may
 * throw anything, and an error raised while describing it would replace the caller's error and
 * silence the `error` event. `String()` throws for a null-prototype object, a Proxy whose traps
 * throw, or an Error whose `message` getter throws; those fall back to JSON, then to a fixed text.
 */
function reasonOf(cause: unknown): string {
  try {
    return cause instanceof Error ? String(cause.message) : String(cause)
  } catch {
    // Not convertible to a string: try the data it holds, as a null-prototype object has some.
  }
  try {
    const shown = JSON.stringify(cause)
    if (typeof shown === 'string' && shown !== '{}') {
      return shown.length > 120 ? `${shown.slice(0, 117)}...` : shown
    }
  } catch {
    // A Proxy that throws on every read, a cycle, a BigInt: nothing left to ask it.
  }
  return 'a thrown value that cannot be described'
}
