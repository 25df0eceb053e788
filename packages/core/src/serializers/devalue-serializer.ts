import { parse, stringify } from 'devalue'
import type { Serializer } from '../serializer.js'

// devalue does not promise that one version parses what another wrote, and a cache is shared by
// every process of a fleet, across deploys. Each payload starts with this tag, and a payload
// without it is refused (a miss, `CG_CORRUPT_ENTRY`), never parsed into a wrong value. Bump it
// with devalue's major version.
const TAG = 'devalue6:'

// devalue would write a Buffer as a Uint8Array; these keep it a Buffer, in base64.
const reducers = {
  Buffer: (value: unknown) => Buffer.isBuffer(value) && value.toString('base64'),
}
const revivers = {
  Buffer: (base64: string) => Buffer.from(base64, 'base64'),
}

/**
 * A serializer that round-trips what JSON cannot: Date, Map, Set, BigInt, `undefined` (as a
 * property, in an array, and at the top level), RegExp, NaN, ±Infinity, -0, sparse arrays, typed
 * arrays, DataView, ArrayBuffer, Buffer, URL and URLSearchParams, and repeated or cyclic references.
 *
 * Built on [devalue](https://github.com/sveltejs/devalue) (Svelte's, no dependencies), chosen over
 * superjson by `bench/serializers.ts` (docs/benchmarks.md, 2026-12-06): superjson writes an
 * ArrayBuffer as `{}`, a sparse array's hole as `null`, and a Buffer it cannot read back; and
 * devalue is faster on the values that need it (serialize + deserialize of a value with a Date, a
 * Map and a Set: 193,355/s against superjson's 130,490/s). On plain data `jsonSerializer` stays
 * faster (656,446/s against devalue's 350,454/s and superjson's 419,910/s).
 *
 * It refuses, with a `TypeError` naming the path (`CG_SERIALIZE`), functions, symbols, class
 * instances (any object whose prototype is not Object.prototype, Array.prototype or null) and
 * Error; it does not call `toJSON`. Its text is devalue's, tagged with devalue's major version:
 * switching a cache to it, or from it, needs a new `namespace` (entries of the other format read
 * as corrupt, so as misses). With `values: 'frozen'`, a typed array or Buffer cannot be frozen:
 * keep the default `values: 'copy'` for values that hold them.
 *
 * @example
 * import { devalueSerializer } from '@cacheguard/core/serializers'
 *
 * const cache = createCache({ store, serializer: devalueSerializer })
 * await cache.set('session', { seen: new Set([1, 2]), at: new Date(), quota: 10n ** 20n })
 */
export const devalueSerializer: Serializer = {
  serialize: (value) => {
    try {
      return TAG + stringify(value, reducers)
    } catch (error) {
      // DevalueError carries the path (`.user.avatar`) apart from its message.
      const path = (error as { path?: unknown }).path
      const where = typeof path === 'string' && path !== '' ? ` at \`${path.slice(1)}\`` : ''
      throw new TypeError(
        `${(error as Error).message}${where}: store a plain object, an array or a supported built-in there`,
        { cause: error },
      )
    }
  },
  deserialize: (text) => {
    if (!text.startsWith(TAG)) throw new TypeError('not a devalueSerializer payload')
    return parse(text.slice(TAG.length), revivers)
  },
}
