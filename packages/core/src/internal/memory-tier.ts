import type { CacheStore } from '../store.js'
import { decodedReader } from './decoded-entries.js'
import type { Entry } from './envelope.js'

/**
 * The memory tier (`l1`) in front of a remote store: an in-process store that holds copies of
 * entries, read first. Its failures are never the caller's: a copy that cannot be read, written
 * or dropped is simply not there.
 */
export interface MemoryTier {
  /**
   * The entry under `storeKey` at once, when the tier keeps its entries decoded (`memoryStore`);
   * `undefined` otherwise, and then `get` reads it. A reason string: the copy is not an envelope.
   */
  readonly peek: ((storeKey: string) => Entry | string | undefined) | undefined
  /** The text under `storeKey`, or `undefined`. */
  get(storeKey: string): Promise<string | undefined>
  /** Writes a copy (this process's own write, newer than every invalidation it knows of). */
  set(storeKey: string, text: string, ttlMs: number): void
  /**
   * Keeps a copy of what the store answered, for as long as it may be served (stale included);
   * `askedAt`: when the store was asked, with the records that apply to it.
   */
  keep(storeKey: string, text: string, staleUntil: number, askedAt: number): void
  /** Drops the copy; resolves whether there was one. */
  forget(storeKey: string): Promise<boolean>
}

/**
 * The memory tier over `l1`. A copy written to a store that keeps its entries decoded
 * (`memoryStore`) is marked to be checked with the store after `maxAgeMs` (`l1MaxAge`; Infinity
 * for never), though it is still fresh.
 */
export function createMemoryTier(l1: CacheStore, maxAgeMs: number): MemoryTier {
  const ignore = () => {}
  const peek = decodedReader(l1)
  const write = (storeKey: string, text: string, ttlMs: number, verifiedAt: number): void => {
    l1.set(storeKey, text, ttlMs).catch(ignore)
    // memoryStore writes before its promise settles: the decoded copy is there now.
    if (peek === undefined) return
    const copy = peek(storeKey)
    if (typeof copy !== 'object') return
    copy.verifiedAt = verifiedAt
    if (Number.isFinite(maxAgeMs)) copy.checkBy = Date.now() + maxAgeMs
  }
  return {
    peek,
    get: (storeKey) =>
      l1.get(storeKey).then(
        (text) => (text === null ? undefined : text),
        () => undefined,
      ),
    set: (storeKey, text, ttlMs) => write(storeKey, text, ttlMs, Date.now()),
    keep(storeKey, text, staleUntil, askedAt) {
      const ttlMs = Math.ceil(staleUntil - Date.now())
      if (ttlMs >= 1) write(storeKey, text, ttlMs, askedAt)
    },
    forget: (storeKey) => l1.delete(storeKey).catch(() => false),
  }
}
