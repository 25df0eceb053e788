import { type OutgoingHttpHeaders, validateHeaderName, validateHeaderValue } from 'node:http'

export type HeaderValue = number | string | readonly string[]

/** The headers a handler sees and sets on a captured response. */
export interface HeaderView {
  get(name: string): HeaderValue | undefined
  /** Sets a header as `res.setHeader` does, with Node's validation (and its errors). */
  set(name: string, value: unknown): void
  append(name: string, value: unknown): void
  remove(name: string): void
  /** Every header, names lower-cased: those set before the capture, then the handler's changes. */
  all(): Record<string, HeaderValue>
  /** Sets the headers `writeHead` received: an object, `[name, value]` pairs, or a flat list. */
  setAll(values: unknown): void
  /** Names of headers set before the capture that the handler removed. */
  readonly removed: ReadonlySet<string>
}

/**
 * Headers over those the response had when the middleware was entered (`entry`, set by middleware
 * before it): the handler reads those, and its own changes go on top of them.
 */
export function headerView(entry: OutgoingHttpHeaders): HeaderView {
  const changed = new Map<string, HeaderValue>()
  const removed = new Set<string>()
  const get = (name: string) => {
    const lower = name.toLowerCase()
    if (changed.has(lower)) return changed.get(lower)
    return removed.has(lower) ? undefined : entry[lower]
  }
  const set = (name: string, value: unknown) => {
    validateHeaderName(name)
    validateHeaderValue(name, value as string)
    changed.set(name.toLowerCase(), Array.isArray(value) ? [...value] : (value as HeaderValue))
  }
  return {
    get,
    set,
    append(name, value) {
      const current = get(name)
      if (current === undefined) return set(name, value)
      const before = Array.isArray(current) ? current : [String(current)]
      set(name, [...before, ...(Array.isArray(value) ? value.map(String) : [String(value)])])
    },
    remove(name) {
      const lower = name.toLowerCase()
      changed.delete(lower)
      if (entry[lower] !== undefined) removed.add(lower)
    },
    all() {
      const all: Record<string, HeaderValue> = {}
      for (const [name, value] of Object.entries(entry)) {
        if (value !== undefined && !removed.has(name)) all[name] = value
      }
      for (const [name, value] of changed) all[name] = value
      return all
    },
    setAll(values) {
      if (Array.isArray(values)) {
        if (values.length > 0 && Array.isArray(values[0])) {
          for (const [name, value] of values as Array<[string, unknown]>) set(String(name), value)
          return
        }
        // A flat list may repeat a name: its values add up, as with appendHeader.
        const list = new Map<string, string[]>()
        for (let i = 0; i + 1 < values.length; i += 2) {
          const name = String(values[i])
          list.set(name, [...(list.get(name) ?? []), String(values[i + 1])])
        }
        for (const [name, value] of list) set(name, value.length === 1 ? value[0] : value)
      } else if (typeof values === 'object' && values !== null) {
        for (const [name, value] of Object.entries(values)) set(name, value)
      }
    },
    removed,
  }
}
