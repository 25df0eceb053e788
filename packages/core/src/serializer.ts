/** Turns values into strings for the store and back. */
export interface Serializer {
  /** Encodes a value; throws when the value cannot be represented faithfully. */
  serialize(value: unknown): string
  /** Decodes what `serialize` produced; throws on text it did not produce. */
  deserialize(text: string): unknown
}

const RICH =
  'use `devalueSerializer` from @cacheguard/core/serializers, or pass your own `serializer`'

/** A value the strict replacer refuses: what it is, and what to do instead. */
class Refusal {
  constructor(
    readonly what: string,
    readonly advice: string,
  ) {}
}

// JSON.stringify silently changes a lot: it drops functions, symbols and undefined properties, turns
// NaN into null, a Map or a RegExp into `{}`, a Uint8Array into an object of indexes, and a class
// instance into a plain object. A value changed that way would come back from the cache different
// from what was loaded, so the strict serializer refuses those instead of writing a wrong value.
// Only the cheap checks run here, on every value: a `typeof` switch, and for objects one
// prototype read. What JSON changes but cannot be told cheaply (an undefined property, -0) is
// documented instead. The replacer sees a value after its `toJSON()`: a Date arrives as its ISO
// string, and a class with `toJSON` chose its own form.
function strictReplacer(this: unknown, key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'object': {
      if (value === null) return value
      const proto: unknown = Object.getPrototypeOf(value)
      if (proto === Object.prototype) {
        // Buffer is the one built-in whose toJSON JSON.parse does not undo: the replacer sees
        // `{ type: 'Buffer', data: [...] }`, and the holder still has the Buffer itself.
        if (
          (value as { type?: unknown }).type === 'Buffer' &&
          isBuffer((this as Record<string, unknown>)[key])
        ) {
          throw new Refusal(
            'a Buffer',
            `would come back as { type: 'Buffer', data: [...] }; store it as a base64 string, or ${RICH}`,
          )
        }
        return value
      }
      if (proto === Array.prototype || proto === null) return value
      return refuseObject(value, proto)
    }
    case 'number':
      if (!Number.isFinite(value)) {
        throw new Refusal(String(value), `would come back as null; ${RICH}`)
      }
      return value
    case 'function':
    case 'symbol':
      throw new Refusal(`a ${typeof value}`, 'would be dropped; leave it out of the value')
    case 'bigint':
      throw new Refusal('a BigInt', `cannot be JSON; convert it to a string, or ${RICH}`)
    default:
      return value
  }
}

function isBuffer(value: unknown): boolean {
  return typeof Buffer === 'function' && Buffer.isBuffer(value)
}

/** The slow path, for an object whose prototype is none of Object, Array or null. */
function refuseObject(value: object, proto: unknown): object {
  // An array or a plain object of another realm (node:vm, an iframe) comes back as itself.
  if (Array.isArray(value) || Object.getPrototypeOf(proto) === null) return value
  if (value instanceof Map || value instanceof Set || value instanceof WeakMap) {
    throw new Refusal(
      named(proto, 'Map'),
      `would come back as {}; convert it first (a Map to an object or to an array of pairs), or ${RICH}`,
    )
  }
  if (ArrayBuffer.isView(value)) {
    throw new Refusal(
      named(proto, 'typed array'),
      `would come back as an object of indexes; store it as a base64 string, or ${RICH}`,
    )
  }
  if (
    value instanceof ArrayBuffer ||
    Object.prototype.toString.call(value) === '[object SharedArrayBuffer]'
  ) {
    throw new Refusal(named(proto, 'ArrayBuffer'), `would come back as {}; ${RICH}`)
  }
  if (value instanceof RegExp) {
    throw new Refusal(
      named(proto, 'RegExp'),
      `would come back as {}; store its source and flags, or ${RICH}`,
    )
  }
  if (value instanceof Error) {
    throw new Refusal(
      named(proto, 'Error'),
      'would come back as a plain object without its message or stack; store the fields you need',
    )
  }
  const name = constructorName(proto)
  throw new Refusal(
    name === undefined ? 'a class instance' : `an instance of \`${name}\``,
    'would come back as a plain object without its prototype; give the class a toJSON(), store a plain object, or pass your own `serializer`',
  )
}

/** The name of the class whose prototype is `proto`, if it has a readable one. */
function constructorName(proto: unknown): string | undefined {
  try {
    const name: unknown = (proto as { constructor?: { name?: unknown } }).constructor?.name
    return typeof name === 'string' && name !== '' ? name : undefined
  } catch {
    return undefined
  }
}

/** `a Map`, `an ArrayBuffer`: the class of a refused built-in, with its article. */
function named(proto: unknown, fallback: string): string {
  const name = constructorName(proto) ?? fallback
  // "a Uint8Array": a U here reads "you", so only A, E, I and O take "an".
  return `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}`
}

/**
 * Where the first refused value sits in `root`: walks it in JSON.stringify's order, with its
 * `toJSON` calls and the same checks, so the path names the value the replacer refused. Runs
 * only once a value was refused, so the replacer needs no path bookkeeping on every value.
 */
function pathOfRefusal(root: unknown): string | undefined {
  const path: string[] = []
  const seen = new Set<unknown>()
  const visit = (holder: Record<string, unknown>, key: string): boolean => {
    let value = holder[key]
    const toJSON = (value as { toJSON?: unknown } | null | undefined)?.toJSON
    if (typeof toJSON === 'function') value = toJSON.call(value, key)
    try {
      strictReplacer.call(holder, key, value)
    } catch {
      return true
    }
    if (typeof value !== 'object' || value === null || seen.has(value)) return false
    seen.add(value)
    const record = value as Record<string, unknown>
    for (const child of Array.isArray(value) ? value.keys() : Object.keys(value)) {
      path.push(String(child))
      if (visit(record, String(child))) return true
      path.pop()
    }
    return false
  }
  return visit({ '': root }, '') ? describePath(path) : undefined
}

function describePath(path: string[]): string {
  if (path.length === 0) return 'the top level'
  const shown = path
    .map((key, i) =>
      /^\d+$/.test(key)
        ? `[${key}]`
        : /^[A-Za-z_$][\w$]*$/.test(key)
          ? i === 0
            ? key
            : `.${key}`
          : `[${JSON.stringify(key)}]`,
    )
    .join('')
  return `\`${shown}\``
}

/**
 * The default serializer: JSON, refusing what JSON would silently turn into something else.
 *
 * Refused, with a `TypeError` naming the path (the cache reports it as `CG_SERIALIZE` and writes
 * nothing): functions, symbols, BigInt, NaN and ±Infinity, Map, Set and WeakMap, Buffer, typed
 * arrays, DataView and ArrayBuffer, RegExp, Error, instances of classes without `toJSON`
 * (any object whose prototype is not Object.prototype, Array.prototype or null), and cycles.
 *
 * Changed as JSON changes them, not refused (the checks would cost every write):
 * - a Date comes back as its ISO string (it has `toJSON`), as does anything with a `toJSON`;
 * - a property whose value is `undefined` is dropped (`{ a: undefined }` comes back as `{}`),
 *   and `undefined` in an array comes back as `null`, as does a hole in a sparse array;
 * - `-0` comes back as `0`;
 * - a null-prototype object comes back with Object.prototype.
 *
 * For Date, Map, Set, BigInt, undefined, RegExp and typed arrays, use `devalueSerializer` from
 * `@cacheguard/core/serializers`.
 *
 * @example
 * createCache({ serializer: jsonSerializer })
 */
export const jsonSerializer: Serializer = {
  serialize: (value) => {
    try {
      return JSON.stringify(value, strictReplacer)
    } catch (error) {
      if (!(error instanceof Refusal)) throw error
      const path = pathOfRefusal(value) ?? 'a nested property'
      throw new TypeError(`${error.what} at ${path} ${error.advice}`)
    }
  },
  deserialize: (text) => JSON.parse(text),
}
