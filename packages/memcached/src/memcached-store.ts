import {
  type CacheStore,
  describeValue,
  ValueTooLargeError,
  withoutUndefined,
} from '@cacheguard/core'
import { encodeItem, expiration, header, ITEM_OVERHEAD, parseItem } from './internal/item.js'
import { HASHED_KEY_BYTES, keyMapper, MAX_KEY_BYTES, printable } from './internal/keys.js'

/** Options of `memcachedStore`. */
export interface MemcachedStoreOptions {
  /**
   * Prepended to every key, such as `'app:'`; the rest of your key layout stays yours. Printable,
   * with no spaces, and counted in Memcached's 250 bytes. @default ''
   */
  prefix?: string
  /**
   * Your server's item size limit (`memcached -I`) in bytes. A write whose item (value, key,
   * expiry header and Memcached's 59 bytes per item) would be larger is refused with
   * `CG_VALUE_TOO_LARGE` before anything is sent. @default 1048576
   */
  maxValueBytes?: number
}

/**
 * What `memcachedStore` needs of a memjs `Client` (memjs 1.3): its promise forms of `get`, `set`
 * and `delete`. A real `memjs.Client` fits; the type is spelled out so that your project needs no
 * `@types/memjs`.
 */
export interface MemjsClient {
  get(key: string): Promise<{ value: unknown }>
  set(key: string, value: Buffer, options: { expires: number }): Promise<boolean | null>
  delete(key: string): Promise<boolean | null>
  /** memjs's value serializer: values must reach Memcached and come back as bytes, unchanged. */
  readonly serializer?: {
    serialize(opcode: number, value: Buffer, extras: Buffer): { value: unknown }
    deserialize(opcode: number, value: Buffer, extras: Buffer): { value: unknown }
  }
}

const DEFAULTS = { prefix: '', maxValueBytes: 1024 * 1024 }
/** The largest item size Memcached can be configured with (`-I 1024m`). */
const MAX_ITEM_BYTES = 1024 * 1024 * 1024
/** The expiration field holds 2^32 - 1 seconds. */
const MAX_TTL_MS = 0xffffffff * 1000

/**
 * A store over the user's existing memjs `Client`. It never opens, configures or closes the
 * connection: the client stays yours. Keys Memcached cannot take (over 250 bytes, spaces, control
 * characters) are stored under their SHA-256; TTLs are rounded up to whole seconds, and sent as a
 * Unix time beyond 30 days; values over the item size limit are refused with `CG_VALUE_TOO_LARGE`.
 *
 * @example
 * const memcached = memjs.Client.create(process.env.MEMCACHED_URL)
 * const cache = createCache({ store: memcachedStore(memcached, { prefix: 'app:' }) })
 */
export function memcachedStore(
  client: MemjsClient,
  options: MemcachedStoreOptions = {},
): CacheStore {
  if (
    typeof client?.get !== 'function' ||
    typeof client.set !== 'function' ||
    typeof client.delete !== 'function'
  ) {
    throw new TypeError(
      `Expected \`client\` to be a memjs Client (memjs.Client.create(...)), got ${describeValue(client)}`,
    )
  }
  checkSerializer(client)
  const { prefix, maxValueBytes } = { ...DEFAULTS, ...withoutUndefined(options) }
  const longestPrefix = MAX_KEY_BYTES - HASHED_KEY_BYTES
  if (
    typeof prefix !== 'string' ||
    !printable(prefix) ||
    Buffer.byteLength(prefix) > longestPrefix
  ) {
    throw new TypeError(
      `Expected \`prefix\` to be a string of at most ${longestPrefix} bytes without spaces or control characters, got ${describeValue(prefix)}`,
    )
  }
  if (
    typeof maxValueBytes !== 'number' ||
    !Number.isInteger(maxValueBytes) ||
    maxValueBytes < 1024 ||
    maxValueBytes > MAX_ITEM_BYTES
  ) {
    throw new TypeError(
      `Expected \`maxValueBytes\` to be an integer from 1024 to ${MAX_ITEM_BYTES} (your memcached -I), got ${describeValue(maxValueBytes)}`,
    )
  }
  const k = keyMapper(prefix)

  /** The stored item and its deadline (`undefined`: not ours), unless absent or past its TTL. */
  const read = async (key: string): Promise<Stored | undefined> => {
    const { value } = await client.get(k(key))
    if (value === null || value === undefined) return undefined
    if (!Buffer.isBuffer(value)) {
      throw new TypeError(
        `Expected memjs to answer a Buffer for key \`${key}\`, got ${describeValue(value)}: create the client without a custom serializer`,
      )
    }
    const { deadline, start } = parseItem(value)
    // Memcached keeps an item up to two seconds past its TTL (whole seconds, plus one): the
    // deadline in its header ends it to the millisecond.
    if (deadline !== undefined && Date.now() >= deadline) return undefined
    return { item: value, deadline, start }
  }

  return {
    name: 'memcached',

    async get(key) {
      const stored = await read(key)
      // An item this store did not write is returned as it is: the cache reads it as corrupt,
      // counts it, and replaces it with the next load.
      return stored?.item.toString('utf8', stored.start)
    },

    async set(key, value, ttlMs) {
      if (typeof ttlMs !== 'number' || !(ttlMs > 0) || !(ttlMs <= MAX_TTL_MS)) {
        throw new TypeError(
          `Expected \`ttlMs\` to be a positive number of milliseconds up to ${MAX_TTL_MS}, got ${describeValue(ttlMs)}`,
        )
      }
      const storeKey = k(key)
      const now = Date.now()
      const head = header(Math.ceil(now + ttlMs))
      const valueBytes = Buffer.byteLength(value, 'utf8')
      const room = maxValueBytes - ITEM_OVERHEAD - Buffer.byteLength(storeKey) - head.length
      if (valueBytes > room) throw new ValueTooLargeError(key, valueBytes, room)
      const item = encodeItem(head, value, valueBytes)
      try {
        await client.set(storeKey, item, { expires: expiration(ttlMs, now) })
      } catch (error) {
        throw refusedAsTooLarge(error, key, valueBytes, maxValueBytes) ?? error
      }
    },

    async delete(key) {
      return (await client.delete(k(key))) === true
    },

    async ttl(key) {
      const stored = await read(key)
      if (stored === undefined) return undefined
      // Another program's item: it is there, but its expiry is not ours to know.
      return stored.deadline === undefined ? Number.POSITIVE_INFINITY : stored.deadline - Date.now()
    },
  }
}

/** An item as read back: its bytes, the deadline in its header, and where its value starts. */
interface Stored {
  item: Buffer
  deadline: number | undefined
  start: number
}

/**
 * Memcached's own refusal of a large item (binary status 0x03; memjs words it `Value too large`),
 * when its `-I` is below `maxValueBytes`: typed like the store's own refusal, so that it is not
 * counted against the server's health. Memcached drops the key's previous item in this case.
 */
function refusedAsTooLarge(
  error: unknown,
  key: string,
  valueBytes: number,
  maxValueBytes: number,
): ValueTooLargeError | undefined {
  if (!(error instanceof Error) || !/Value too large/i.test(error.message)) return undefined
  const refused = new ValueTooLargeError(key, valueBytes, maxValueBytes)
  refused.message = `Memcached refused the ${valueBytes}-byte value for key \`${key}\` as too large (and dropped the item that was there): its item size limit (-I) is below \`maxValueBytes\` (${maxValueBytes}); set \`maxValueBytes\` to it`
  return refused
}

/**
 * Values must reach Memcached as the bytes given and come back unchanged: memjs's default
 * serializer passes Buffers through; one that does something else (JSON) would break round trips.
 */
function checkSerializer(client: MemjsClient): void {
  const serializer = client.serializer
  if (serializer === undefined) return
  const probe = Buffer.from('cacheguard ✓')
  const extras = Buffer.alloc(8)
  let back: unknown
  try {
    const sent = serializer.serialize(1, probe, extras).value
    const bytes = typeof sent === 'string' ? Buffer.from(sent) : sent
    back = Buffer.isBuffer(bytes) ? serializer.deserialize(0, bytes, extras).value : bytes
  } catch (error) {
    back = error
  }
  if (!Buffer.isBuffer(back) || !back.equals(probe)) {
    throw new TypeError(
      `Expected the memjs client's serializer to pass Buffers through unchanged (memjs's default does), got ${describeValue(back)} back for a Buffer`,
    )
  }
}
