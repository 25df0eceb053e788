/**
 * A value as cacheguard's error messages show it: `` `2` (number) ``, shortened past 60
 * characters, a client object named by its class. For guards and stores that validate options
 * the same way.
 *
 * @example
 * throw new TypeError(`Expected \`prefix\` to be a string, got ${describeValue(prefix)}`)
 */
export function describeValue(value: unknown): string {
  let shown: string
  try {
    shown =
      typeof value === 'bigint'
        ? `${value}n`
        : typeof value === 'function'
          ? `[function ${value.name || 'anonymous'}]`
          : (JSON.stringify(value) ?? String(value))
  } catch {
    shown = String(value)
  }
  // A client object serializes to a wall of internals: name its class instead.
  if (typeof value === 'object' && value !== null && shown.length > 60) {
    shown = `[${value.constructor?.name ?? 'Object'}]`
  }
  if (shown.length > 60) shown = `${shown.slice(0, 57)}...`
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  return `\`${shown}\` (${type})`
}
