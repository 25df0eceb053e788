import { describeValue } from '../describe-value.js'
import { type Duration, parseDuration } from '../duration.js'

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
