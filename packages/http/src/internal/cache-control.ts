/** The directives of a `Cache-Control` header (RFC 9111 §5.2), names lower-cased. */
export type Directives = Map<string, string | true>

/**
 * Parses `Cache-Control` into its directives (an RFC 9110 list: several field lines, empty
 * elements, any case and spacing). A directive that appears twice keeps its first value; an
 * argument is kept as written, quotes included, since a quoted delta-seconds is not a valid one.
 * Unknown directives are kept (and ignored by the rules).
 */
export function parseCacheControl(header: string | string[] | undefined): Directives {
  const directives: Directives = new Map()
  if (header === undefined) return directives
  const text = Array.isArray(header) ? header.join(',') : header
  // Split on commas outside quotes: `private="set-cookie, x-id"` is one directive.
  for (const part of text.match(/(?:[^,"]|"[^"]*")+/g) ?? []) {
    const [rawName, ...rest] = part.split('=')
    const name = rawName?.trim().toLowerCase()
    if (!name || directives.has(name)) continue
    const value = rest.join('=').trim()
    directives.set(name, value === '' ? true : value)
  }
  return directives
}

/**
 * A delta-seconds argument (`max-age=60`) as seconds; `undefined` when absent or invalid
 * (negative, quoted, not a number). A value past 2^31 counts as 2^31 (RFC 9111 §1.2.2).
 */
export function deltaSeconds(directives: Directives, name: string): number | undefined {
  const value = directives.get(name)
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined
  return Math.min(Number(value), 2 ** 31)
}
