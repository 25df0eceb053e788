import { type Duration, parseDuration } from '../duration.js'

/** Formats a given value for an error message: `` `2` (number) ``. */
export function describeValue(value: unknown): string {
  let shown: string
  try {
    shown = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value))
  } catch {
    shown = String(value)
  }
  if (shown.length > 60) shown = `${shown.slice(0, 57)}...`
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  return `\`${shown}\` (${type})`
}

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
