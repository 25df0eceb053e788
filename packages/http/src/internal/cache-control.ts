/** The directives of a `Cache-Control` header (RFC 9111 §5.2), names lower-cased. */
export type Directives = Map<string, string | true>

/**
 * Parses `Cache-Control` into its directives. A directive that appears twice keeps its first
 * value; a quoted argument is unquoted. Unknown directives are kept (and ignored by the rules).
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
    directives.set(name, value === '' ? true : value.replace(/^"(.*)"$/, '$1'))
  }
  return directives
}

/** A delta-seconds argument (`max-age=60`) as seconds; `undefined` when absent or invalid. */
export function seconds(directives: Directives, name: string): number | undefined {
  const value = directives.get(name)
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined
  return Number(value)
}
