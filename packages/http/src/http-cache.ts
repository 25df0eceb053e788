import { randomUUID } from 'node:crypto'
import { type Cache, CacheGuardError, type LoaderContext } from '@cacheguard/core'
import { type Directives, deltaSeconds, parseCacheControl } from './internal/cache-control.js'
import { notModified } from './internal/conditional.js'
import { freshness } from './internal/freshness.js'
import { headersKey, storeKey, urlKey } from './internal/key.js'
import { resolveOptions } from './internal/options.js'
import { noStore, PERSONAL_STATUSES, SERVER_ERRORS, understood } from './internal/statuses.js'
import {
  fromStored,
  headerList,
  isMarker,
  isStored,
  type NotShared,
  type StoredResponse,
  toStored,
  type VaryMarker,
} from './internal/stored.js'
import { OWN_FIELD, responseDirectives } from './internal/targeted.js'
import type {
  CacheStatus,
  HttpCacheOptions,
  HttpRequest,
  HttpResponse,
  HttpResult,
  RunHandler,
} from './types.js'

/** The HTTP cache over a cacheguard cache: adapters hand it requests and send what it decides. */
export interface HttpCache {
  /**
   * Answers a request from the cache, or runs its handler: once for concurrent identical requests
   * (single-flight, and once across processes with a lock guard on the cache), storing what RFC
   * 9111 allows. Never rejects for a cache failure: the handler answers instead.
   */
  handle(request: HttpRequest, run: RunHandler): Promise<HttpResult>
  /** Drops the cached GET of `url` (path and query), every variant included. */
  invalidate(url: string): Promise<void>
}

/** A handler's 5xx, thrown to the cache so that a stale copy within `stale-if-error` answers instead. */
class HandlerFailed extends Error {
  constructor(readonly response: HttpResponse) {
    super(`The handler answered ${response.status}`)
  }
}

/** RFC 9110 §9.2.1: the methods known to be safe; any other one invalidates (RFC 9111 §4.4). */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])
/**
 * Creates the framework-neutral HTTP cache over `cache`; `@cacheguard/express`, `koa` and `lambda`
 * translate their requests for it. It keys by method, path, sorted query and the request headers
 * a response's `Vary` (or `varyBy`) names, honours the handler's `Cache-Control` without ever
 * rewriting it, stores no `Set-Cookie` and no private response, answers `If-None-Match` with 304,
 * and sends `Age`, `X-Cache` and `Cache-Status` (RFC 9211).
 *
 * @example
 * const http = httpCache(createCache({ store: redisStore(redis) }), { ttl: '30s' })
 * const { response } = await http.handle({ method: 'GET', url: '/users/1', headers }, runHandler)
 */
export function httpCache(cache: Cache, options: HttpCacheOptions = {}): HttpCache {
  const o = resolveOptions(cache, options)
  const keyUrl = o.key ?? urlKey
  const primaryKey = (url: string) => storeKey(`http:GET:${url}`)
  const variantKey = (primary: string, marker: VaryMarker, request: HttpRequest) =>
    storeKey(`${primary}|${marker.gen}|${headersKey(request, marker.vary)}`)

  /**
   * The times of a response that may be stored, or `undefined` when it may not (RFC 9111 §3):
   * `freshMs` is what is left of its freshness lifetime (§4.2) once its age on arrival is taken
   * off. A lifetime the response states makes any status this cache understands storable; the
   * `statuses` list is for heuristic freshness and the default `ttl`.
   */
  const storable = (
    response: HttpResponse,
    cc: Directives,
    receivedAt: number,
    targeted: boolean,
  ) => {
    // A status in `statuses` is one the application declares this cache understands.
    if (!understood(response.status) && !o.statuses.has(response.status)) return undefined
    if (noStore(cc, response.status) || cc.has('no-cache') || cc.has('private')) return undefined
    if (headerList(response.headers.vary).includes('*')) return undefined
    if (response.body.byteLength > o.maxBodyBytes) return undefined
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
      graceMs: Math.max(swrMs, sieMs),
      swrMs,
      initialAgeMs: fresh.initialAgeMs,
      explicit: fresh.source === 'explicit',
    }
  }

  /**
   * Decides, inside the cache's load, what becomes of the response this request's handler
   * produced. `marker`: the variants this load fills one of, when it loads a variant.
   */
  const decide = async (
    ctx: LoaderContext,
    primary: string,
    request: HttpRequest,
    response: HttpResponse,
    marker: VaryMarker | undefined,
  ): Promise<StoredResponse | VaryMarker | NotShared> => {
    const { cc, targeted } = responseDirectives(response.headers, o.cdnCacheControl)
    // Never handed to another client: its cookie, or what it says is private, stays with it; and
    // an answer to this request's own conditions (304, 412) or range (206) means nothing to others.
    if (
      response.headers['set-cookie'] !== undefined ||
      cc.has('private') ||
      // Produced for a request with cookies, it may depend on them (`cookies: 'private'`).
      (withCookies(request) && !shareable(cc)) ||
      noStore(cc, response.status) ||
      PERSONAL_STATUSES.has(response.status)
    ) {
      ctx.noStore()
      return { notShared: true }
    }
    const times = storable(response, cc, Date.now(), targeted)
    // A server error gives way to a stale copy within stale-if-error (the cache keeps serving
    // it), and is stored only when it states its own lifetime and there is no such copy.
    if (SERVER_ERRORS.has(response.status) && (ctx.stale !== undefined || !times?.explicit)) {
      throw new HandlerFailed(response)
    }
    if (times === undefined) {
      // Shared with the requests that came at the same moment, stored for none.
      ctx.noStore()
      return toStored(response, 0, false)
    }
    // Never jittered: a response is not fresh a moment past the lifetime its headers give it.
    const entry = { ttl: times.freshMs, grace: times.graceMs, jitter: 0 }
    ctx.setOptions(entry)
    const stored = toStored(response, times.freshMs, shareable(cc), times.initialAgeMs, times.swrMs)
    const vary = [
      ...new Set([...o.varyBy, ...o.cookieKeys, ...headerList(response.headers.vary).map(lower)]),
    ]
    if (marker !== undefined && sameNames(vary, marker.vary)) return stored
    if (vary.length === 0) {
      if (marker === undefined) return stored
      // The URL stopped varying: its plain entry replaces the variants.
      ctx.noStore()
      await cache.set(primary, stored, entry).catch(() => {})
      return stored
    }
    // The primary key holds where to look; each variant lives under its headers' values.
    const next: VaryMarker = { vary, gen: randomUUID() }
    try {
      await cache.set(variantKey(primary, next, request), stored, entry)
      if (marker === undefined) return next
      // Loading a variant, the response names other headers: a new set of variants starts.
      await cache.set(primary, next, entry)
    } catch {
      // The store failed (reported by the cache): the response is still shared, stored for none.
    }
    ctx.noStore()
    return stored
  }

  /** Reads through the cache: one handler run for concurrent identical requests. */
  const readThrough = async (
    key: string,
    request: HttpRequest,
    run: RunHandler,
    primary: string,
    state: { own?: HttpResponse | undefined; marker?: VaryMarker; soft?: boolean },
  ): Promise<HttpResult> => {
    const loader = async (ctx: LoaderContext) => {
      const response = await run()
      state.own = response
      return decide(ctx, primary, request, response, state.marker)
    }
    const hard = o.handlerTimeoutMs
    const timeout = state.soft ? { hard, soft: hard } : { hard }
    let value: unknown
    try {
      value = await cache.getOrSet(key, loader, { negativeTtl: 0, timeout })
    } catch (error) {
      if (state.own !== undefined) return ran('MISS', state.own)
      if (error instanceof HandlerFailed) return shared(error.response)
      if (error instanceof CacheGuardError) {
        if (error.code === 'CG_LOAD_TIMEOUT') return answer('MISS', gatewayTimeout())
        if (error.code === 'CG_OVERLOADED') return answer('MISS', unavailable())
        // Any other failure of the cache (a store or lock error): the handler answers.
        return ran('BYPASS', await run())
      }
      throw error
    }
    if (value === undefined) return answer('HIT', notFound(), 'blocked')
    if (isMarker(value)) {
      if (state.marker !== undefined) return ran('BYPASS', await run())
      state.marker = value
      return readThrough(variantKey(primary, value, request), request, run, primary, state)
    }
    // Not to be shared (a cookie, `private`): the request that produced it keeps it; the others
    // run their own handler.
    if (!isStored(value)) return ran(state.own ? 'MISS' : 'BYPASS', state.own ?? (await run()))
    // A request with cookies only gets a response that says it may be shared.
    if (state.own === undefined && value.a !== true && withCookies(request)) {
      return ran('BYPASS', await run())
    }
    if (value.f === 0) return state.own ? ran('MISS', state.own) : shared(fromStored(value))
    const now = Date.now()
    if (now >= value.t + value.f) {
      // Stale (a refresh may be running this request's handler in the background). Within
      // stale-while-revalidate it answers at once; past it, only stale-if-error is left: wait for
      // that refresh, and serve the stale copy only if it fails.
      const swrMs =
        value.w ??
        (deltaSeconds(
          parseCacheControl(header(value, 'cache-control')),
          'stale-while-revalidate',
        ) ?? 0) * 1000
      if (!state.soft && now >= value.t + value.f + swrMs) {
        return readThrough(key, request, run, primary, { ...state, own: undefined, soft: true })
      }
      return serve(value, request)
    }
    return state.own ? ran('MISS', state.own) : serve(value, request)
  }

  return {
    async handle(request, given) {
      // One handler run per request, however many paths below ask for its response.
      const run = once(given)
      const method = request.method.toUpperCase()
      if (method !== 'GET' && method !== 'HEAD') {
        const response = await run()
        if (o.invalidateOnWrite && !SAFE.has(method) && response.status < 400) {
          // RFC 9111 §4.4: a successful unsafe request invalidates the URL it targeted, and the
          // URLs of its Location and Content-Location on the same origin.
          const urls = [request.url, ...sameOriginUrls(request, response)]
          await Promise.all(urls.map((url) => invalidate(url).catch(() => {})))
        }
        return ran('BYPASS', response)
      }
      if (bypassed(request)) return ran('BYPASS', await run())
      const primary = primaryKey(keyUrl(request))
      const authorized = request.headers.authorization !== undefined
      if (method === 'HEAD' || authorized) {
        // Served from a stored GET, never coalesced: a HEAD has no body to store, and requests
        // with credentials are each their own (RFC 9111 §3.5). Either only gets a response that
        // says it may be shared when it carries credentials or (by default) cookies.
        const stored = await lookup(primary, request)
        const personal = authorized || withCookies(request)
        if (stored !== undefined && (!personal || stored.a === true)) {
          return serve(stored, request)
        }
        const response = await run()
        if (authorized && method === 'GET') await storeShareable(primary, request, response)
        return ran('BYPASS', response)
      }
      return readThrough(primary, request, run, primary, {})
    },
    invalidate,
  }

  async function invalidate(url: string): Promise<void> {
    await cache.delete(primaryKey(keyUrl({ method: 'GET', url, headers: {} })))
  }

  /** A fresh or stale stored response for the request, without loading. */
  async function lookup(
    primary: string,
    request: HttpRequest,
  ): Promise<StoredResponse | undefined> {
    const value = await cache.get(primary).catch(() => undefined)
    if (isMarker(value)) {
      const variant = await cache.get(variantKey(primary, value, request)).catch(() => undefined)
      return isStored(variant) && variant.f > 0 ? variant : undefined
    }
    return isStored(value) && value.f > 0 ? value : undefined
  }

  /**
   * Whether a request carries cookies that, with `cookies: 'private'` (the default), keep it from
   * any response that does not say it may be shared: a response may depend on a cookie without a
   * `Vary` saying so.
   */
  function withCookies(request: HttpRequest): boolean {
    return o.cookies === 'private' && request.headers.cookie !== undefined
  }

  /** A response to a request with `Authorization` is stored only when `public` or `s-maxage` allows it. */
  async function storeShareable(primary: string, request: HttpRequest, response: HttpResponse) {
    const { cc } = responseDirectives(response.headers, o.cdnCacheControl)
    if (!cc.has('public') && !cc.has('s-maxage')) return
    if (response.headers['set-cookie'] !== undefined) return
    await cache
      .getOrSet(primary, (ctx) => decide(ctx, primary, request, response, undefined), {
        negativeTtl: 0,
      })
      .catch(() => {})
  }
}

/**
 * The paths (with query) of a response's `Location` and `Content-Location` that are on the
 * request's origin: relative ones, or absolute ones naming the request's `Host`.
 */
function sameOriginUrls(request: HttpRequest, response: HttpResponse): string[] {
  const host = String(request.headers.host ?? 'origin.invalid')
  const base = `http://${host}${request.url.startsWith('/') ? request.url : `/${request.url}`}`
  const urls: string[] = []
  for (const name of ['location', 'content-location']) {
    const value = response.headers[name]
    const text = Array.isArray(value) ? value[0] : value
    if (text === undefined) continue
    let url: URL
    try {
      url = new URL(text.trim(), base)
    } catch {
      continue
    }
    if (url.host.toLowerCase() !== host.toLowerCase()) continue
    urls.push(`${url.pathname}${url.search}`)
  }
  return urls
}

/** `public` or `s-maxage`: the response may answer requests with credentials or cookies. */
function shareable(cc: Directives): boolean {
  return cc.has('public') || cc.has('s-maxage')
}

/** Requests the cache stays out of: ranges, and clients that ask for a fresh answer. */
function bypassed(request: HttpRequest): boolean {
  if (request.headers.range !== undefined) return true
  const cc = parseCacheControl(request.headers['cache-control'])
  if (cc.has('no-store') || cc.has('no-cache')) return true
  return /no-cache/i.test(String(request.headers.pragma ?? ''))
}

function serve(stored: StoredResponse, request: HttpRequest): HttpResult {
  const response = fromStored(stored)
  // RFC 9111 §4.2.3: its age when it arrived, plus the time it has been stored.
  const ageS = Math.max(0, Math.floor(((stored.i ?? 0) + Date.now() - stored.t) / 1000))
  const stale = Date.now() >= stored.t + stored.f
  response.headers.age = String(ageS)
  const status: CacheStatus = stale ? 'STALE' : 'HIT'
  if (notModified(request, stored)) {
    // RFC 9110 §15.4.5: a 304 carries the validators and caching headers a 200 would, no body.
    const kept: Record<string, string | string[] | undefined> = { age: response.headers.age }
    for (const name of [
      'etag',
      'cache-control',
      'content-location',
      'date',
      'expires',
      'vary',
      'last-modified',
    ]) {
      if (response.headers[name] !== undefined) kept[name] = response.headers[name]
    }
    return answer(status, { status: 304, headers: kept, body: new Uint8Array(0) })
  }
  if (request.method.toUpperCase() === 'HEAD') response.body = new Uint8Array(0)
  return answer(status, response)
}

function header(stored: StoredResponse, name: string): string | undefined {
  return stored.h.find(([n]) => n === name)?.[1]
}

function answer(status: CacheStatus, response: HttpResponse, detail?: string): HttpResult {
  return { status, response: labelled(response, status, detail), ran: false }
}

function ran(status: CacheStatus, response: HttpResponse): HttpResult {
  return { status, response: labelled(response, status), ran: true }
}

/** A response produced by another request's handler at the same moment, not stored. */
function shared(response: HttpResponse): HttpResult {
  return { status: 'MISS', response: labelled(response, 'MISS', 'collapsed'), ran: false }
}

/** Sets `X-Cache` and `Cache-Status` (RFC 9211), on a copy of the headers. */
function labelled(response: HttpResponse, status: CacheStatus, detail?: string): HttpResponse {
  const parameter =
    status === 'HIT'
      ? 'hit'
      : status === 'STALE'
        ? 'hit; fwd=stale'
        : status === 'MISS'
          ? 'fwd=uri-miss'
          : 'fwd=bypass'
  // cacheguard's own targeted field speaks to this cache only: it never leaves.
  const { [OWN_FIELD]: _own, ...headers } = response.headers
  return {
    ...response,
    headers: {
      ...headers,
      'x-cache': status,
      'cache-status': `cacheguard; ${parameter}${detail ? `; detail=${detail}` : ''}`,
    },
  }
}

function notFound(): HttpResponse {
  return { status: 404, headers: { 'content-length': '0' }, body: new Uint8Array(0) }
}

function gatewayTimeout(): HttpResponse {
  return { status: 504, headers: { 'content-length': '0' }, body: new Uint8Array(0) }
}

function unavailable(): HttpResponse {
  return { status: 503, headers: { 'content-length': '0' }, body: new Uint8Array(0) }
}

function once(run: RunHandler): RunHandler {
  let running: Promise<HttpResponse> | undefined
  return () => {
    running ??= run()
    return running
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name) => b.includes(name))
}

function lower(name: string): string {
  return name.toLowerCase()
}
