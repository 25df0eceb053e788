import { CacheGuardError, InvalidKeyError } from '../errors.js'
import { type Settings, toStoreKey } from './settings.js'
import { describeValue } from './validate.js'

/**
 * The store keys of a list of keys, every one checked before any is used: the first invalid key
 * throws `CG_INVALID_KEY`, its message naming its position.
 */
export function storeKeysOf(settings: Settings, keys: unknown, label = 'keys'): string[] {
  if (!Array.isArray(keys)) {
    throw new InvalidKeyError(
      `Expected \`${label}\` to be an array of keys, got ${describeValue(keys)}`,
    )
  }
  return keys.map((key, i) => {
    try {
      return toStoreKey(settings, key)
    } catch (error) {
      const reason = error instanceof CacheGuardError ? error.message : String(error)
      throw new InvalidKeyError(
        `${label}[${i}]: ${reason}`,
        typeof key === 'string' ? key : undefined,
      )
    }
  })
}

/** The `[key, value]` pairs of `setMany`'s entries: pairs, or a `Map`. Throws a `TypeError` otherwise. */
export function entryList<T>(entries: Iterable<readonly [string, T]>): Array<readonly [string, T]> {
  if (entries === null || typeof entries !== 'object' || !(Symbol.iterator in entries)) {
    throw new TypeError(
      `Expected \`entries\` to be [key, value] pairs or a Map, got ${describeValue(entries)}`,
    )
  }
  const list = [...entries]
  for (const [i, entry] of list.entries()) {
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new TypeError(
        `Expected entries[${i}] to be a [key, value] pair, got ${describeValue(entry)}`,
      )
    }
  }
  return list
}
