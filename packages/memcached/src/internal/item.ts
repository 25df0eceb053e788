// What one cache entry becomes in Memcached: the value's UTF-8 bytes behind a header that holds
// its deadline in milliseconds (`1732222222222:`), and an expiration in Memcached's seconds.

/** Memcached reads an expiration above 30 days as a Unix time (REALTIME_MAXDELTA). */
export const MAX_RELATIVE_SECONDS = 60 * 60 * 24 * 30
/**
 * The bytes Memcached adds to every item besides its key and value: the item header (48), the
 * CAS value (8), the key's NUL (1) and the value's CRLF (2). Measured on memcached 1.6 (64-bit):
 * an item fits when key + value + 59 is at most the item size limit (`-I`).
 */
export const ITEM_OVERHEAD = 59
/** The expiration field is 32 bits of seconds. */
const MAX_EXPIRATION = 0xffffffff
const COLON = 58
const ZERO = 48
const NINE = 57
/** Digits of a deadline in milliseconds: 13 today, 16 until the year 318857. */
const MAX_DIGITS = 16

/**
 * The expiration to send for `ttlMs`, in Memcached's terms: whole seconds, rounded up, relative
 * up to 30 days and a Unix time beyond. Memcached's clock ticks once a second and an item expires
 * when the tick reaches its time, so a relative `n` lasts between `n - 1` and `n` seconds: one
 * more second keeps every item for its whole TTL, and the deadline in its header ends it on time.
 */
export function expiration(ttlMs: number, now: number): number {
  const seconds = Math.ceil(ttlMs / 1000) + 1
  if (seconds <= MAX_RELATIVE_SECONDS) return seconds
  return Math.min(Math.ceil(now / 1000) + seconds, MAX_EXPIRATION)
}

/** The header written before a value that expires at `deadline` (ms since the epoch). */
export function header(deadline: number): string {
  return `${deadline}:`
}

/** The bytes stored for `value`, whose UTF-8 length the caller has counted. */
export function encodeItem(head: string, value: string, valueBytes: number): Buffer {
  const buffer = Buffer.allocUnsafe(head.length + valueBytes)
  buffer.write(head, 0, 'latin1')
  buffer.write(value, head.length, 'utf8')
  return buffer
}

/**
 * The deadline in a stored item's header and where its value starts; `deadline` is `undefined`
 * for bytes this store did not write (another program's item under the same key).
 */
export function parseItem(item: Buffer): { deadline: number | undefined; start: number } {
  let deadline = 0
  const end = Math.min(item.length, MAX_DIGITS + 1)
  for (let i = 0; i < end; i++) {
    const byte = item[i]!
    if (byte === COLON && i > 0) return { deadline, start: i + 1 }
    if (byte < ZERO || byte > NINE) break
    deadline = deadline * 10 + (byte - ZERO)
  }
  return { deadline: undefined, start: 0 }
}
