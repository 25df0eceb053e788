/** Turns values into strings for the store and back. */
export interface Serializer {
  /** Encodes a value; throws when the value cannot be represented faithfully. */
  serialize(value: unknown): string
  /** Decodes what `serialize` produced; throws on text it did not produce. */
  deserialize(text: string): unknown
}

// JSON.stringify silently drops functions and symbols, turns NaN into null and a Map into `{}`:
// each of those would come back from the cache as a different value than was loaded, so the
// strict serializer refuses them instead of writing a wrong value.
function strictReplacer(this: unknown, key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'function':
    case 'symbol':
      throw new TypeError(`${typeof value} at ${describePath(key)} cannot be serialized`)
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError(`${value} at ${describePath(key)} cannot be serialized as JSON`)
      }
      return value
    case 'object':
      if (value instanceof Map || value instanceof Set || value instanceof WeakMap) {
        throw new TypeError(
          `a ${value.constructor.name} at ${describePath(key)} would be stored as {}; convert it first`,
        )
      }
      return value
    default:
      return value
  }
}

function describePath(key: string): string {
  return key === '' ? 'the top level' : `property \`${key}\``
}

/**
 * The default serializer: JSON that refuses what JSON would silently change (functions, symbols,
 * BigInt, NaN and Infinity, Map and Set). Dates become ISO strings, as with `JSON.stringify`.
 *
 * @example
 * createCache({ serializer: jsonSerializer })
 */
export const jsonSerializer: Serializer = {
  serialize: (value) => JSON.stringify(value, strictReplacer),
  deserialize: (text) => JSON.parse(text),
}
