import type { Cache } from '@cacheguard/core'
import { type HttpCacheOptions, httpCache, type Validators } from '@cacheguard/http'
import { handlerRequest, toHttpRequest } from './internal/request.js'
import { fromResponse, toResponse } from './internal/response.js'
import { teeResponse } from './internal/stream.js'

/** Options of `fetchCache`: those of `httpCache` (`@cacheguard/http`), nothing of its own. */
export type FetchCacheOptions = HttpCacheOptions

/** A web-standard handler: a `Request` (and whatever the runtime passes beside it) to a `Response`. */
export type FetchHandler<A extends unknown[] = []> = (
  request: Request,
  ...rest: A
) => Response | Promise<Response>

/** The handler `fetchCache` returns: the same shape, and `invalidate`. */
export interface CachedFetchHandler<A extends unknown[] = []> {
  (request: Request, ...rest: A): Promise<Response>
  /** Drops the cached GET of `url` (path and query), every variant included. */
  invalidate(url: string): Promise<void>
}

/**
 * Wraps a web-standard `Request` -> `Response` handler (a Hono app's `fetch`, a Next.js route
 * handler, a Bun or Deno server) with the HTTP cache of `@cacheguard/http`: concurrent identical
 * requests run it once (once per fleet with `lockGuard`), responses are stored as the handler's
 * `Cache-Control` allows, and `X-Cache`, `Cache-Status` and `Age` are set. On a miss, the
 * handler's body streams to the client as it comes while the cache reads it, and is stored once
 * it has ended (up to `maxBodyBytes`; past that, it is sent on, not stored); requests that wait
 * for that run get it from the cache. A handler
 * that throws rejects this call with its error, and nothing is stored. The key is the method, the
 * path and query, and the declared headers: never the host.
 *
 * @param cache - a cache from `createCache`, created once (at module scope).
 * @param handler - the handler to cache; the arguments after the request are passed through.
 * @param options - the options of `httpCache`.
 *
 * @example
 * const cache = createCache({ store: redisStore(redis, { prefix: 'http:' }) })
 * export const GET = fetchCache(cache, async (request: Request) =>
 *   Response.json(await db.products(), { headers: { 'cache-control': 'max-age=60' } }),
 * )
 */
export function fetchCache<A extends unknown[] = []>(
  cache: Cache,
  handler: FetchHandler<A>,
  options: FetchCacheOptions = {},
): CachedFetchHandler<A> {
  if (typeof handler !== 'function') {
    throw new TypeError(
      `Expected \`handler\` to be a function of a Request, got \`${String(handler)}\` (${typeof handler})`,
    )
  }
  const http = httpCache(cache, options)
  const cached = async (request: Request, ...rest: A): Promise<Response> => {
    if (!(request instanceof Request)) {
      throw new TypeError(`Expected a Request, got ${request === null ? 'null' : typeof request}`)
    }
    const seen = toHttpRequest(request)
    // On a miss, this request's own answer streams to it while the cache reads it.
    let stream: ((response: Response) => void) | undefined
    let answered = false
    const streamed = http.streams(seen)
      ? new Promise<Response>((resolve) => {
          stream = resolve
        })
      : undefined
    const run = async (validators?: Validators) => {
      const response = await handler(handlerRequest(request, seen, validators), ...rest)
      const send = stream
      if (
        send === undefined ||
        answered ||
        validators !== undefined ||
        !(response instanceof Response)
      ) {
        return fromResponse(response)
      }
      // Not for a refresh that outlives the request's answer: an answer that does not wait for
      // this run (a stale one) is given within this turn.
      await nextTurn()
      const split = answered ? undefined : teeResponse(response, http.maxBodyBytes)
      if (split === undefined) return fromResponse(response)
      send(split.client)
      return split.stored
    }
    const handled = http.handle(seen, run)
    const first = streamed === undefined ? await handled : await Promise.race([handled, streamed])
    answered = true
    if (first instanceof Response) {
      // The body ends for the client once the cache has done with it (stored it, or not): a
      // client that read it to the end finds it stored.
      const done = handled.then(
        () => {},
        () => {},
      )
      const flushed = first.body!.pipeThrough(new TransformStream({ flush: () => done }))
      return new Response(flushed, first)
    }
    return toResponse(first.response, seen.method.toUpperCase() === 'HEAD')
  }
  return Object.assign(cached, { invalidate: (url: string) => http.invalidate(url) })
}

/** Resolves once the I/O and the promises of this turn of the event loop are done. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
