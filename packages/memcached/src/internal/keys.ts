import { createHash } from 'node:crypto'

// Memcached takes keys of 1 to 250 bytes (KEY_MAX_LENGTH) with no space or control character:
// its text protocol splits commands on spaces and ends them at CRLF. Other keys are stored under
// a hash. A key kept as it is never starts with `#` (such keys are hashed too), and every hashed
// key does, so no kept key can equal a hashed one.

/** The longest key Memcached takes, in bytes. */
export const MAX_KEY_BYTES = 250
/** The longest hashed key: `#u` and 43 characters of base64url SHA-256 (`#` and 43 for most). */
export const HASHED_KEY_BYTES = 45
const HASH_MARK = 35 // '#'

/** Whether `text` has no space, control character (C0) or DEL: what Memcached's keys cannot hold. */
export function printable(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code <= 0x20 || code === 0x7f) return false
  }
  return true
}

// A lone surrogate is not Unicode: UTF-8 would turn every one into U+FFFD, so two different keys
// would meet. In `u` mode a regex sees a surrogate pair as one code point, so this finds lone ones.
const LONE_SURROGATE = /\p{Cs}/u

/** Maps a cache key to the Memcached key it is stored under, with `prefix` in front. */
export function keyMapper(prefix: string): (key: string) => string {
  const room = MAX_KEY_BYTES - Buffer.byteLength(prefix)
  return (key) => {
    if (fits(key, room)) return prefix + key
    if (LONE_SURROGATE.test(key)) {
      // Hashed from its UTF-16 code units, under a mark of its own: no collision with UTF-8 input.
      return `${prefix}#u${createHash('sha256').update(key, 'utf16le').digest('base64url')}`
    }
    return `${prefix}#${createHash('sha256').update(key, 'utf8').digest('base64url')}`
  }
}

/** Whether `key` can be sent as it is in `room` bytes: printable, Unicode, not marked as a hash. */
function fits(key: string, room: number): boolean {
  if (key.length === 0 || key.length > room || key.charCodeAt(0) === HASH_MARK) return false
  if (!printable(key) || LONE_SURROGATE.test(key)) return false
  // A UTF-16 unit is at most 3 UTF-8 bytes: short keys skip the byte count.
  return key.length * 3 <= room || Buffer.byteLength(key, 'utf8') <= room
}
