import type { Serializer } from '../serializer.js'

// An entry is stored as one string: `cg1|<freshUntil>|<staleUntil>|<kind><payload>`.
// Times are Unix milliseconds, so logical expiry works on any store, whatever its clock or TTL
// precision; kind is `v` (a value follows) or `n` ("not found", nothing follows). A header of
// plain text lets a hit decode with two indexOf calls and one parse of the payload alone.
const MAGIC = 'cg1|'

/** A decoded entry; `payload` is still serialized so every caller can decode its own copy. */
export interface Entry {
  freshUntil: number
  staleUntil: number
  /** `undefined` for a "not found" entry. */
  payload: string | undefined
}

export function encodeEntry(entry: Entry): string {
  const body = entry.payload === undefined ? 'n' : `v${entry.payload}`
  return `${MAGIC}${entry.freshUntil}|${entry.staleUntil}|${body}`
}

/** Decodes an entry, or returns a reason string when the text is not one of ours. */
export function decodeEntry(text: string): Entry | string {
  if (!text.startsWith(MAGIC)) return 'missing the cg1 header'
  const freshEnd = text.indexOf('|', MAGIC.length)
  const staleEnd = freshEnd === -1 ? -1 : text.indexOf('|', freshEnd + 1)
  if (staleEnd === -1) return 'truncated header'
  const freshUntil = Number(text.slice(MAGIC.length, freshEnd))
  const staleUntil = Number(text.slice(freshEnd + 1, staleEnd))
  if (!Number.isSafeInteger(freshUntil) || !Number.isSafeInteger(staleUntil)) {
    return 'times are not integers'
  }
  if (staleUntil < freshUntil) return 'stale time before fresh time'
  const kind = text.charCodeAt(staleEnd + 1)
  if (kind === 110 /* n */ && text.length === staleEnd + 2) {
    return { freshUntil, staleUntil, payload: undefined }
  }
  if (kind === 118 /* v */) return { freshUntil, staleUntil, payload: text.slice(staleEnd + 2) }
  return 'unknown entry kind'
}

/** Decodes a payload, returning the error instead of throwing. */
export function decodePayload(
  serializer: Serializer,
  payload: string,
): { ok: true; value: unknown } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: serializer.deserialize(payload) }
  } catch (error) {
    return { ok: false, error }
  }
}
