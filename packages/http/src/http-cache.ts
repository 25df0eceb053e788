import { randomUUID } from 'node:crypto'
import { type Cache, CacheGuardError, type LoaderContext } from '@cacheguard/core'
import {
  answer,
  gatewayTimeout,
  notFound,
  ran,
  serve,
  shared,
  unavailable,
} from './internal/answers.js'
import { deltaSeconds, parseCacheControl } from './internal/cache-control.js'
import { SAFE, sameOriginUrls } from './internal/invalidation.js'
import { headersKey, storeKey, urlKey } from './internal/key.js'
import { resolveOptions } from './internal/options.js'
import { freshened, validatorsOf } from './internal/revalidation.js'
import { noStore, PERSONAL_STATUSES, SERVER_ERRORS } from './internal/statuses.js'
import { shareable, storable } from './internal/storable.js'
import {
  fromStored,
  header,
  headerList,
  isMarker,
  isStored,
  type NotShared,
  type StoredResponse,
  toStored,
  type VaryMarker,
} from './internal/stored.js'
import { responseDirectives, TAG_FIELD } from './internal/targeted.js'
import type {
  HttpCacheOptions,
  HttpRequest,
  HttpResponse,
  HttpResult,
  RunHandler,
  Validators,
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
  /**
   * Whether, on a miss, this request's answer is its own handler's response, so that an adapter
   * may stream that response's body to the client while the cache reads it: a GET the cache
   * reads through (no `Range`, `no-cache` or `Authorization`). Stream only a 2xx full response
   * (not 204 or 206) to a run without validators that this request is still waiting for, sent
   * with `labelled(response, 'MISS')`; hand `run` the body read up to `maxBodyBytes`, or, past
   * it, no body and `CacheGuard-Cache-Control: no-store`.
   */
  streams(request: HttpRequest): boolean
  /** The largest body stored, in bytes (the `maxBodyBytes` option). */
  readonly maxBodyBytes: number
}

/** A handler's 5xx, thrown to the cache so that a stale copy within `stale-if-error` answers instead. */
class HandlerFailed extends Error {
  constructor(readonly response: HttpResponse) {
    super(`The handler answered ${response.status}`)
  }
}

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
    const times = storable(response, cc, Date.now(), targeted, o)
    // A server error gives way to a stale copy within stale-if-error (the cache keeps serving
    // it), and is stored only when it states its own lifetime and there is no such copy.
    if (SERVER_ERRORS.has(response.status) && (ctx.stale !== undefined || !times?.explicit)) {
      throw new HandlerFailed(response)
    }
    if (times === undefined) {
      // Shared with the requests that came at the same moment, stored for none.
      ctx.noStore()
      return toStored(response, undefined, false)
    }
    // Never jittered: a response is not fresh a moment past the lifetime its headers give it.
    const entry = {
      ttl: times.freshMs,
      grace: times.graceMs,
      jitter: 0,
      tags: tagsOf(request, response),
    }
    try {
      ctx.setOptions(entry)
    } catch {
      // Tags the cache refuses (CG_INVALID_TAG): the response is shared, stored for none.
      ctx.noStore()
      return toStored(response, undefined, false)
    }
    const stored = toStored(response, times, shareable(cc))
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
    // The primary key holds where to look; each variant lives under its headers' values. The
    // marker stays fresh as long as its variant is kept: a stale variant is then refreshed (and
    // revalidated) under its own key, never found through a stale marker that loads in full.
    const next: VaryMarker = { vary, gen: randomUUID() }
    // Untagged: the variants carry the response's tags, and a dropped variant is loaded again.
    const markerTimes = { ttl: times.freshMs + times.graceMs, grace: 0, jitter: 0, tags: [] }
    try {
      await cache.set(variantKey(primary, next, request), stored, entry)
      if (marker === undefined) {
        ctx.setOptions(markerTimes)
        return next
      }
      // Loading a variant, the response names other headers: a new set of variants starts.
      await cache.set(primary, next, markerTimes)
    } catch {
      // The store failed (reported by the cache): the response is still shared, stored for none.
    }
    ctx.noStore()
    return stored
  }

  /** The tags of a response: its `Cache-Tag` list, and what the `tags` option gives. */
  const tagsOf = (request: HttpRequest, response: HttpResponse): string[] => {
    const tags = headerList(response.headers[TAG_FIELD])
    const more = o.tags?.(request, response)
    return more === undefined ? tags : [...tags, ...more]
  }

  /** Reads through the cache: one handler run for concurrent identical requests. */
  const readThrough = async (
    key: string,
    request: HttpRequest,
    run: Run,
    primary: string,
    state: {
      own?: HttpResponse | undefined
      marker?: VaryMarker
      soft?: boolean
      /** When the request arrived: a `no-cache` response stored since was validated for it. */
      since: number
    },
  ): Promise<HttpResult> => {
    const loader = async (ctx: LoaderContext) => {
      // Refreshing a stored response that has a validator: a conditional request (RFC 9111
      // §4.3.1), and a 304 freshens what is stored (§4.3.4); this request gets the full response.
      const stale = isStored(ctx.stale) ? ctx.stale : undefined
      const validators = stale === undefined ? undefined : validatorsOf(stale)
      let response = await run(validators)
      if (stale !== undefined && validators !== undefined && response.status === 304) {
        response = fromStored(freshened(stale, response))
        run.replace(response)
      }
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
    // `no-cache`: never reused as it is, by anyone but the request that just fetched it.
    if (value.n === true && state.own === undefined) {
      if (state.soft) {
        // Validated by another request's run after this one arrived (strictly later: within the
        // same millisecond, it may be the response stored before it): as good as its own.
        return value.t > state.since ? serve(value, request) : revalidateOwn(value, run)
      }
      state.soft = true
      return readThrough(key, request, run, primary, state)
    }
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
        // The same state: the refresh started above runs this request's handler, and what it
        // produces is this request's own answer.
        state.soft = true
        return readThrough(key, request, run, primary, state)
      }
      // Still stale after waiting for the refresh: it failed. The stale copy stands in only within
      // stale-if-error; a copy kept to be revalidated (`keep`) is never served stale.
      if (state.soft && value.e !== undefined && now >= value.t + value.f + value.e) {
        return ran(state.own ? 'MISS' : 'BYPASS', state.own ?? (await run()))
      }
      return serve(value, request)
    }
    return state.own ? ran('MISS', state.own) : serve(value, request)
  }

  /**
   * Revalidates a `no-cache` response for this request alone (another request's revalidation
   * stored it before this one arrived): its handler is asked with the stored validators, and a
   * 304 means the stored response, freshened.
   */
  const revalidateOwn = async (stored: StoredResponse, run: Run): Promise<HttpResult> => {
    const validators = validatorsOf(stored)
    const response = await run(validators)
    if (validators === undefined || response.status !== 304) return ran('MISS', response)
    const full = fromStored(freshened(stored, response))
    run.replace(full)
    return ran('MISS', full)
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
      return readThrough(primary, request, run, primary, { since: Date.now() })
    },
    invalidate,
    streams: (request) =>
      request.method.toUpperCase() === 'GET' &&
      request.headers.authorization === undefined &&
      !bypassed(request),
    maxBodyBytes: o.maxBodyBytes,
  }

  async function invalidate(url: string): Promise<void> {
    await cache.delete(primaryKey(keyUrl({ method: 'GET', url, headers: {} })))
  }

  /** A fresh or stale stored response for the request, without loading (none kept for `no-cache`, which must be revalidated). */
  async function lookup(
    primary: string,
    request: HttpRequest,
  ): Promise<StoredResponse | undefined> {
    const value = await cache.get(primary).catch(() => undefined)
    if (isMarker(value)) {
      const variant = await cache.get(variantKey(primary, value, request)).catch(() => undefined)
      return isStored(variant) && variant.f > 0 && variant.n !== true ? variant : undefined
    }
    return isStored(value) && value.f > 0 && value.n !== true ? value : undefined
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

/** Requests the cache stays out of: ranges, and clients that ask for a fresh answer. */
function bypassed(request: HttpRequest): boolean {
  if (request.headers.range !== undefined) return true
  const cc = parseCacheControl(request.headers['cache-control'])
  if (cc.has('no-store') || cc.has('no-cache')) return true
  return /no-cache/i.test(String(request.headers.pragma ?? ''))
}

/** A request's handler, run at most once; a revalidation replaces its 304 with the full response. */
type Run = RunHandler & { replace(response: HttpResponse): void }

function once(run: RunHandler): Run {
  let running: Promise<HttpResponse> | undefined
  let replacement: Promise<HttpResponse> | undefined
  const once = (validators?: Validators) => {
    running ??= run(validators)
    return replacement ?? running
  }
  return Object.assign(once, {
    replace(response: HttpResponse) {
      replacement = Promise.resolve(response)
    },
  })
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name) => b.includes(name))
}

function lower(name: string): string {
  return name.toLowerCase()
}
