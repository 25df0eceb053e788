import { fenceOf as readFence } from './internal/envelope.js'

/**
 * The contract every store implements. A store holds opaque strings (cacheguard's encoded
 * entries) under string keys, each with a physical time to live in milliseconds.
 *
 * Stores never throw for a missing key, never return a value past its TTL, and never open or
 * close a connection the user owns. `@cacheguard/core/testing` checks all of this.
 */
export interface CacheStore {
  /** A short name for events and errors, such as `'memory'` or `'redis'`. */
  readonly name: string
  /**
   * `true` for an in-process store that answers without I/O and cannot hang: cacheguard then
   * skips the operation timeout on its calls. Leave it unset for anything behind a network.
   */
  readonly local?: boolean
  /**
   * Whether the client can send commands now: `false` while it connects or reconnects. The
   * circuit breaker then holds its probe until the client is ready, and sends it as soon as it is.
   * Optional: a store that cannot tell leaves it out, and the breaker waits out `openFor` alone.
   */
  ready?(): boolean
  /** Reads one key; `undefined` (or `null`, as Redis clients answer) when it is absent or expired. */
  get(key: string): Promise<string | null | undefined>
  /** Writes one key with a time to live in milliseconds (a positive integer). */
  set(key: string, value: string, ttlMs: number): Promise<void>
  /** Removes one key; resolves `true` when something was removed. */
  delete(key: string): Promise<boolean>
  /** Reads many keys in one round trip; answers in the order asked (`undefined` or `null` when absent). Optional. */
  getMany?(keys: readonly string[]): Promise<Array<string | null | undefined>>
  /** Writes many keys in one round trip. Optional. */
  setMany?(entries: readonly StoreEntry[]): Promise<void>
  /** The remaining time to live of a key in milliseconds, `undefined` when absent. Optional. */
  ttl?(key: string): Promise<number | undefined>
  /**
   * Issues the next fencing token for `key`: an integer greater than every token issued for it
   * before and than the fence of the entry stored under it (`fenceOf`). Optional, with `setFenced`:
   * together they let a lock guard refuse the late write of a holder that lost its lock.
   */
  nextFence?(key: string): Promise<number>
  /**
   * Writes `value` unless the entry stored under `key` carries a greater fence (`fenceOf` of the
   * stored text; a text that is not an entry counts as 0), as one atomic step. Resolves whether
   * it wrote. Optional, with `nextFence`.
   */
  setFenced?(key: string, value: string, ttlMs: number, fence: number): Promise<boolean>
}

/** One write for `CacheStore.setMany`. */
export interface StoreEntry {
  key: string
  value: string
  ttlMs: number
}

/**
 * The fencing token an encoded entry was written with: 0 when it has none, `undefined` when the
 * text is not a cacheguard entry. For stores that implement `setFenced` in JavaScript.
 *
 * @example
 * if ((fenceOf(stored) ?? 0) > fence) return false
 */
export function fenceOf(text: string): number | undefined {
  return readFence(text)
}
