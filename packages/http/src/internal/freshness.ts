import type { HttpResponse } from '../types.js'
import { type Directives, deltaSeconds } from './cache-control.js'
import { parseHttpDate } from './http-date.js'
import { firstValue } from './stored.js'

/** The longest heuristic freshness lifetime given to a response (RFC 9111 §4.2.2). */
export const MAX_HEURISTIC_MS = 24 * 60 * 60 * 1000

/** A response's freshness as a shared cache computes it when the response arrives. */
export interface Freshness {
  /**
   * Where the lifetime comes from: the response said it (`s-maxage`, `max-age` or `Expires`), it
   * was computed from `Last-Modified`, or it is the cache's default `ttl`.
   */
  source: 'explicit' | 'heuristic' | 'default'
  /** The freshness lifetime (RFC 9111 §4.2.1), in ms; 0 when the response is stale from the start. */
  lifetimeMs: number
  /** The response's age when it arrived (§4.2.3: `Age`, or the age its `Date` shows), in ms. */
  initialAgeMs: number
}

/** The cache's own lifetimes, for responses that carry no freshness information. */
export interface DefaultLifetimes {
  /** For any storable status; `undefined` (`ttl: false`): none. */
  ttlMs: number | undefined
  /** For 404 and 410; `undefined`: none. */
  notFoundTtlMs: number | undefined
}

/**
 * The freshness of a response received at `receivedAt`, as RFC 9111 §4.2 computes it for a shared
 * cache: `s-maxage`, then `max-age`, then `Expires` − `Date`; an invalid one of these makes the
 * response stale (lifetime 0), never fresh for the default. Without any: heuristic freshness from
 * `Last-Modified` when the response allows it, else the cache's default. `undefined`: the response
 * has no lifetime at all (no explicit or heuristic freshness, and no default for it).
 * `useExpires: false` for directives from a targeted field, which replace `Expires` too.
 */
export function freshness(
  response: HttpResponse,
  cc: Directives,
  receivedAt: number,
  defaults: DefaultLifetimes,
  useExpires = true,
): Freshness | undefined {
  const initialAgeMs = initialAge(response, receivedAt)
  const explicit = explicitLifetime(response, cc, receivedAt, useExpires)
  if (explicit !== undefined) return { source: 'explicit', lifetimeMs: explicit, initialAgeMs }
  const heuristic = heuristicLifetime(response, receivedAt)
  if (heuristic !== undefined) return { source: 'heuristic', lifetimeMs: heuristic, initialAgeMs }
  const notFound = response.status === 404 || response.status === 410
  const fallback = notFound ? defaults.notFoundTtlMs : defaults.ttlMs
  if (fallback === undefined) return undefined
  return { source: 'default', lifetimeMs: fallback, initialAgeMs }
}

/** §4.2.1: the lifetime the response gives itself; `undefined` when it gives none. */
function explicitLifetime(
  response: HttpResponse,
  cc: Directives,
  receivedAt: number,
  useExpires: boolean,
): number | undefined {
  for (const name of ['s-maxage', 'max-age']) {
    if (!cc.has(name)) continue
    const seconds = deltaSeconds(cc, name)
    // A negative, quoted or otherwise malformed value: stale, not "no information".
    return seconds === undefined ? 0 : seconds * 1000
  }
  const expires = useExpires ? firstValue(response.headers.expires) : undefined
  if (expires === undefined) return undefined
  const expiresAt = parseHttpDate(expires, receivedAt)
  // An invalid date, "0" included, means already expired (§5.3).
  if (expiresAt === undefined) return 0
  return Math.max(0, expiresAt - dateOf(response, receivedAt))
}

/**
 * §4.2.2: a tenth of the time since `Last-Modified`, at most a day. Whether the response may have
 * a heuristic lifetime at all (its status) is the caller's rule.
 */
function heuristicLifetime(response: HttpResponse, receivedAt: number): number | undefined {
  const lastModified = firstValue(response.headers['last-modified'])
  if (lastModified === undefined) return undefined
  const modifiedAt = parseHttpDate(lastModified, receivedAt)
  if (modifiedAt === undefined) return undefined
  const since = dateOf(response, receivedAt) - modifiedAt
  if (!(since > 0)) return undefined
  return Math.min(MAX_HEURISTIC_MS, Math.floor(since / 10))
}

/**
 * §4.2.3: the age of a response when it arrives, from its `Age` and from how old its `Date` is.
 * The handler runs in this process, so the response delay is nothing.
 */
function initialAge(response: HttpResponse, receivedAt: number): number {
  const ageMs = ageHeader(response.headers.age)
  const date = firstValue(response.headers.date)
  const dateMs = date === undefined ? undefined : parseHttpDate(date, receivedAt)
  const apparentMs = dateMs === undefined ? 0 : Math.max(0, receivedAt - dateMs)
  return Math.max(ageMs, apparentMs)
}

/**
 * The `Age` header in ms: 0 when absent. One that is not a single delta-seconds (negative, a
 * float, a parameter, a list, several field lines) says nothing reliable about the response's
 * age: it is taken as older than any lifetime, so the response is stale.
 */
function ageHeader(value: string | string[] | undefined): number {
  if (value === undefined) return 0
  if (Array.isArray(value) && value.length !== 1) return Number.POSITIVE_INFINITY
  const text = (Array.isArray(value) ? value[0]! : value).trim()
  if (!/^\d+$/.test(text)) return Number.POSITIVE_INFINITY
  return Math.min(Number(text), 2 ** 31) * 1000
}

/** The response's `Date`, or when it arrived if it has no valid one. */
function dateOf(response: HttpResponse, receivedAt: number): number {
  const date = firstValue(response.headers.date)
  return (date === undefined ? undefined : parseHttpDate(date, receivedAt)) ?? receivedAt
}
