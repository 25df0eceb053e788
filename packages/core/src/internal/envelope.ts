import type { Serializer } from '../serializer.js'

// The envelope: how an entry is stored, as one string:
//   `cg2|<freshUntil>|<staleUntil>|<writtenAt>|<loadMs>|<fence>|<kind><payload>`
// Times are Unix milliseconds, so logical expiry works on any store, whatever its clock or TTL
// precision. `loadMs` is how long the load that produced the entry took (early refresh weighs
// it), `fence` the fencing token of the lock holder that wrote it (0: none). Kind is `v` (a value
// follows) or `n` ("not found", nothing follows). A plain-text header lets a hit decode with a
// few indexOf calls and one parse of the payload alone. An entry with tags has them between the
// fence and the kind: `t<count>|` then each tag as `<length>|<tag>` (length in UTF-16 units), so
// a tag may hold any character, `|` included; an entry without tags is written as before.
// Entries of the first format,
// `cg1|<freshUntil>|<staleUntil>|<kind><payload>`, still decode (written at time 0, unknown: any
// invalidation record covers them).
const MAGIC = 'cg2|'
const MAGIC_V1 = 'cg1|'

/** An entry: a decoded envelope; `payload` is still serialized so every caller can decode its own copy. */
export interface Entry {
  freshUntil: number
  staleUntil: number
  /** When the entry was written. */
  writtenAt: number
  /** How long the load that produced it took, in milliseconds (0 when unknown). */
  loadMs: number
  /** The fencing token it was written with; 0 when none. */
  fence: number
  /** `undefined` for a "not found" entry. */
  payload: string | undefined
  /** The entry's tags (`deleteTags`, `expireTags`); `undefined` for none. */
  tags?: readonly string[] | undefined
  /**
   * A memory-tier copy's: from then on the cache asks the store again, though the copy is still
   * fresh (`l1MaxAge`), which bounds how long a missed bus message keeps an outdated copy served.
   */
  checkBy?: number
  /**
   * A memory-tier copy's: when the store was asked for it (its records with it), so the
   * invalidations this process heard before then cover it no more.
   */
  verifiedAt?: number
  /**
   * The payload decoded and deeply frozen once, by the serializer named, for `values: 'frozen'`:
   * an entry kept in memory hands the same frozen value to every later read.
   */
  frozen?: { serializer: Serializer; value: unknown }
}

export function encodeEntry(entry: Entry): string {
  const body = entry.payload === undefined ? 'n' : `v${entry.payload}`
  const tags = entry.tags === undefined || entry.tags.length === 0 ? '' : encodeTags(entry.tags)
  return `${MAGIC}${entry.freshUntil}|${entry.staleUntil}|${entry.writtenAt}|${entry.loadMs}|${entry.fence}|${tags}${body}`
}

function encodeTags(tags: readonly string[]): string {
  let text = `t${tags.length}|`
  for (const tag of tags) text += `${tag.length}|${tag}`
  return text
}

/** The integer `field` last parsed (decoding is synchronous, so one slot serves every call). */
let parsed = 0

/**
 * Parses the decimal integer that starts at `at` and ends at the next `|`, digit by digit (no
 * slice, no Number()): the index after the `|`, or -1 when there is none, or no digit, or a
 * non-digit, or a number past the safe integers.
 */
function field(text: string, at: number): number {
  let n = 0
  let i = at
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 124 /* | */) break
    if (c < 48 || c > 57) return -1
    n = n * 10 + (c - 48)
  }
  if (i === at || i === text.length || n > Number.MAX_SAFE_INTEGER) return -1
  parsed = n
  return i + 1
}

/**
 * Decodes an entry, or returns a reason string when the text is not one of ours. It sits on every
 * hit: one pass over the header, no allocation but the entry and its payload.
 */
export function decodeEntry(text: string): Entry | string {
  const v1 = !text.startsWith(MAGIC)
  if (v1 && !text.startsWith(MAGIC_V1)) return 'missing the cg2 header'
  let at = field(text, MAGIC.length)
  const freshUntil = parsed
  if (at !== -1) at = field(text, at)
  const staleUntil = parsed
  let writtenAt = 0
  let loadMs = 0
  let fence = 0
  if (!v1) {
    if (at !== -1) at = field(text, at)
    writtenAt = parsed
    if (at !== -1) at = field(text, at)
    loadMs = parsed
    if (at !== -1) at = field(text, at)
    fence = parsed
  }
  if (at === -1) return 'the header is not made of integers'
  if (staleUntil < freshUntil) return 'stale time before fresh time'
  let tags: string[] | undefined
  if (!v1 && text.charCodeAt(at) === 116 /* t */) {
    at = field(text, at + 1)
    const count = parsed
    if (at === -1 || count === 0) return 'the tags are not a count of tags'
    tags = []
    for (let i = 0; i < count; i++) {
      at = field(text, at)
      if (at === -1 || parsed === 0 || at + parsed > text.length) return 'a tag is cut short'
      tags.push(text.slice(at, at + parsed))
      at += parsed
    }
  }
  const kind = text.charCodeAt(at)
  let payload: string | undefined
  if (kind === 118 /* v */) payload = text.slice(at + 1)
  else if (kind !== 110 /* n */ || text.length !== at + 1) return 'unknown entry kind'
  const entry: Entry = { freshUntil, staleUntil, writtenAt, loadMs, fence, payload }
  if (tags !== undefined) entry.tags = tags
  return entry
}

/**
 * The fencing token an encoded entry was written with: 0 when it has none, `undefined` when the
 * text is not an entry. Stores that implement `setFenced` compare with it.
 */
export function fenceOf(text: string): number | undefined {
  if (text.startsWith(MAGIC_V1)) return 0
  if (!text.startsWith(MAGIC)) return undefined
  let at = MAGIC.length
  for (let i = 0; i < 4; i++) {
    at = text.indexOf('|', at) + 1
    if (at === 0) return undefined
  }
  const end = text.indexOf('|', at)
  const fence = end === -1 ? Number.NaN : Number(text.slice(at, end))
  return Number.isSafeInteger(fence) && fence >= 0 && end > at ? fence : undefined
}
