/** A duration: milliseconds as a number, or a string such as `'250ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`. */
export type Duration = number | `${number}${DurationUnit}` | `${number} ${DurationUnit}`

type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd'

const UNIT_MS: Record<DurationUnit, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/

/**
 * Parses a duration into milliseconds. Returns `undefined` when the input is not a duration,
 * so callers can say which option was wrong.
 *
 * @example
 * parseDuration('5m') // 300000
 * parseDuration(1500) // 1500
 */
export function parseDuration(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? input : undefined
  if (typeof input !== 'string') return undefined
  const match = PATTERN.exec(input.trim())
  if (!match) return undefined
  return Number(match[1]) * UNIT_MS[match[2] as DurationUnit]
}
