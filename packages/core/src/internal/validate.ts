import { describeValue } from '../describe-value.js'
import { type Duration, parseDuration } from '../duration.js'
import { InvalidTagError } from '../errors.js'

export { describeValue }

/** Reads a duration option in milliseconds, throwing a TypeError that names the option. */
export function durationOption(name: string, value: Duration | undefined, min: number): number {
  const ms = parseDuration(value)
  if (ms === undefined || ms < min) {
    const bound = min > 0 ? 'a positive duration' : 'a duration of 0 or more'
    throw new TypeError(
      `Expected \`${name}\` to be ${bound} (milliseconds, or a string like '30s'), got ${describeValue(value)}`,
    )
  }
  return Math.round(ms)
}

/** Reads a number option within bounds, throwing a TypeError that names the option. */
export function numberOption(
  name: string,
  value: unknown,
  min: number,
  max: number,
  integer = false,
): number {
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    const kind = integer ? 'an integer' : 'a number'
    const upper = max === Number.POSITIVE_INFINITY ? 'or more' : `to ${max}`
    throw new TypeError(
      `Expected \`${name}\` to be ${kind} from ${min} ${upper}, got ${describeValue(value)}`,
    )
  }
  return value
}

/** `timeout.soft` in milliseconds; 0 serves a stale value at once. */
export function softTimeout(value: Duration | undefined): number {
  return value === undefined ? 0 : durationOption('timeout.soft', value, 0)
}

/** `timeout.hard` in milliseconds; Infinity when there is none. */
export function hardTimeout(value: Duration | undefined): number {
  return value === undefined ? Number.POSITIVE_INFINITY : durationOption('timeout.hard', value, 1)
}

/** The most tags one entry (or one `deleteTags` / `expireTags` call) may carry. */
export const MAX_TAGS = 32
/** The longest tag, in UTF-8 bytes. */
export const MAX_TAG_BYTES = 200

/**
 * Reads a list of tags: an array of at most `MAX_TAGS` non-empty strings of at most
 * `MAX_TAG_BYTES` UTF-8 bytes, duplicates dropped; `undefined` for an empty list. Throws
 * `CG_INVALID_TAG` naming the first bad one.
 */
export function tagsOption(value: unknown): readonly string[] | undefined {
  if (!Array.isArray(value)) {
    throw new InvalidTagError(
      `Expected \`tags\` to be an array of strings, got ${describeValue(value)}`,
    )
  }
  if (value.length > MAX_TAGS) {
    throw new InvalidTagError(`Expected at most ${MAX_TAGS} tags, got ${value.length}`)
  }
  for (const [i, tag] of value.entries()) {
    if (typeof tag !== 'string' || tag === '') {
      throw new InvalidTagError(
        `Expected tag ${i} to be a non-empty string, got ${tag === '' ? 'an empty string' : describeValue(tag)}`,
      )
    }
    if (tag.length * 3 > MAX_TAG_BYTES && Buffer.byteLength(tag, 'utf8') > MAX_TAG_BYTES) {
      throw new InvalidTagError(
        `Expected tag ${i} to be at most ${MAX_TAG_BYTES} UTF-8 bytes, got ${Buffer.byteLength(tag, 'utf8')}`,
      )
    }
  }
  if (value.length === 0) return undefined
  return value.length === 1 ? [value[0] as string] : [...new Set(value as string[])]
}
