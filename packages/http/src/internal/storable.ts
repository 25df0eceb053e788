import type { HttpResponse } from '../types.js'
import { type Directives, deltaSeconds } from './cache-control.js'
import { freshness } from './freshness.js'
import type { ResolvedOptions } from './options.js'
import { noStore, understood } from './statuses.js'
import { headerList, type StoredTimes } from './stored.js'

/** How a storable response is kept: its times, and how long it is kept past its freshness. */
export interface Storable extends StoredTimes {
  /** How long past that it is kept: to be served (stale-while-revalidate, stale-if-error) or revalidated (`keep`). */
  graceMs: number
  /** The response stated its own lifetime (`s-maxage`, `max-age`, `Expires`). */
  explicit: boolean
}

/**
 * The times of a response that may be stored, or `undefined` when it may not (RFC 9111 §3):
 * `freshMs` is what is left of its freshness lifetime (§4.2) once its age on arrival is taken
 * off. A lifetime the response states makes any status this cache understands storable; the
 * `statuses` list is for heuristic freshness and the default `ttl`.
 */
export function storable(
  response: HttpResponse,
  cc: Directives,
  receivedAt: number,
  targeted: boolean,
  o: ResolvedOptions,
): Storable | undefined {
  // A status in `statuses` is one the application declares this cache understands.
  if (!understood(response.status) && !o.statuses.has(response.status)) return undefined
  if (noStore(cc, response.status) || cc.has('private')) return undefined
  if (headerList(response.headers.vary).includes('*')) return undefined
  if (response.body.byteLength > o.maxBodyBytes) return undefined
  // A response with a validator is kept `keep` longer, to be revalidated, never served stale.
  const validated =
    response.headers.etag !== undefined || response.headers['last-modified'] !== undefined
  if (cc.has('no-cache')) {
    // RFC 9111 §5.2.2.4: stored, but never reused without a successful revalidation, which
    // needs a validator: stale from the start, kept `keep` to be revalidated.
    if (!validated || o.keepMs === 0) return undefined
    return {
      freshMs: 1,
      graceMs: o.keepMs,
      swrMs: 0,
      sieMs: 0,
      initialAgeMs: 0,
      explicit: true,
      revalidateAlways: true,
    }
  }
  const fresh = freshness(response, cc, receivedAt, o, !targeted)
  if (fresh === undefined) return undefined
  if (fresh.source !== 'explicit' && !o.statuses.has(response.status)) return undefined
  const freshMs = fresh.lifetimeMs - fresh.initialAgeMs
  if (!(freshMs > 0)) return undefined
  // must-revalidate and proxy-revalidate (RFC 9111 §5.2.2.2, §5.2.2.8): never served stale,
  // not within stale-while-revalidate or stale-if-error either.
  const neverStale = cc.has('must-revalidate') || cc.has('proxy-revalidate')
  const swrMs = neverStale ? 0 : (deltaSeconds(cc, 'stale-while-revalidate') ?? 0) * 1000
  const sieMs = neverStale ? 0 : (deltaSeconds(cc, 'stale-if-error') ?? 0) * 1000
  return {
    freshMs,
    graceMs: Math.max(swrMs, sieMs, validated ? o.keepMs : 0),
    swrMs,
    sieMs,
    initialAgeMs: fresh.initialAgeMs,
    explicit: fresh.source === 'explicit',
    revalidateAlways: false,
  }
}

/** `public` or `s-maxage`: the response may answer requests with credentials or cookies. */
export function shareable(cc: Directives): boolean {
  return cc.has('public') || cc.has('s-maxage')
}
