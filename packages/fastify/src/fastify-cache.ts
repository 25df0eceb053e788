import { Readable } from 'node:stream'
import type { Cache } from '@cacheguard/core'
import {
  type HttpCacheOptions,
  type HttpRequest,
  type HttpResult,
  handlerHeaders,
  routeCaches,
  unshared,
} from '@cacheguard/http'
import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onRequestAsyncHookHandler,
  onSendHookHandler,
} from 'fastify'
import fp from 'fastify-plugin'
import { putAnswer, sendEarly } from './internal/answer.js'
import { backgroundRuns } from './internal/background.js'
import { captureReply } from './internal/capture.js'
import { type HandlerRun, handlerRun } from './internal/handler-run.js'
import { serializePayload } from './internal/payload.js'

/** Options of `fastifyCache`: the cache, `global`, and the options of `httpCache`. */
export interface FastifyCacheOptions extends HttpCacheOptions {
  /** The cache that holds the responses, from `createCache` (created once). Required. */
  cache: Cache
  /**
   * Cache every route unless its `config.cache` is `false`; `false`: only the routes whose
   * `config.cache` is `true` or options. @default true
   */
  global?: boolean
}

/**
 * A route's `config.cache`: `false` leaves the route uncached, `true` caches it with the plugin's
 * options, and options cache it with these over the plugin's (`{ ttl: '5m' }`).
 */
export type FastifyCacheRouteConfig = boolean | HttpCacheOptions

/** What the plugin decorates the Fastify instance with, as `app.cacheguard`. */
export interface FastifyCacheDecorator {
  /** Drops the cached GET of `url` (path and query), every variant included. */
  invalidate(url: string): Promise<void>
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How `@cacheguard/fastify` caches this route; see `FastifyCacheRouteConfig`. */
    cache?: FastifyCacheRouteConfig
  }
  interface FastifyInstance {
    /** `@cacheguard/fastify`'s invalidation: the registration's in this scope or the nearest above. */
    cacheguard: FastifyCacheDecorator
  }
}

/** A request whose route's handler runs for the cache. */
interface Flow {
  run: HandlerRun
  /** The cache's decision for the request; none for a run in the background (its own request). */
  handled?: Promise<HttpResult>
  /** The request was answered while its handler ran (`sendEarly`). */
  detached: boolean
}

/** A body the cache never saw. */
const EMPTY = new Uint8Array(0)

/** Each registration's invalidation, by the Fastify scope it was registered in. */
const registrations = new WeakMap<object, FastifyCacheDecorator>()

/** The registration of `scope`, or of the nearest scope above it that has one. */
function nearest(scope: object): FastifyCacheDecorator | undefined {
  for (let at: object | null = scope; at !== null; at = Object.getPrototypeOf(at)) {
    const registration = registrations.get(at)
    if (registration !== undefined) return registration
  }
  return undefined
}

/** The options Fastify's `register` itself reads, which reach every plugin beside its own. */
const REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers']

const plugin: FastifyPluginAsync<FastifyCacheOptions> = async (app, options) => {
  const { cache, global = true, ...rest } = options
  const httpOptions: Record<string, unknown> = { ...rest }
  for (const name of REGISTER_OPTIONS) delete httpOptions[name]
  if (typeof global !== 'boolean') {
    throw new TypeError(
      `Expected \`global\` to be a boolean, got ${String(global)} (${typeof global})`,
    )
  }
  const routes = routeCaches(cache, httpOptions as HttpCacheOptions, global)
  const background = backgroundRuns(app)
  const flows = new WeakMap<FastifyRequest, Flow>()

  const onRequest: onRequestAsyncHookHandler = async (request, reply) => {
    const claimed = background.claim(request)
    if (claimed !== undefined) {
      flows.set(request, { run: claimed, detached: false })
      return
    }
    // A registration in the route's own scope, below this one, answers for it.
    if (nearest(request.server) !== own) return
    const config = request.routeOptions.config
    const http = routes.of(
      config?.cache,
      () => `\`config.cache\` of ${request.method} ${config?.url}`,
    )
    if (http === undefined) return
    const seen: HttpRequest = { method: request.method, url: request.url, headers: request.headers }
    const run = handlerRun()
    const handled = http.handle(seen, run.start)
    let result = await Promise.race([handled, run.started.then(() => undefined)])
    // The cache asked for the handler. A miss waits for it; a stale-while-revalidate or early
    // refresh answers from the store within the same turn, its refresh running in the background.
    if (result === undefined) result = await Promise.race([handled, nextTurn()])
    if (result === undefined) {
      const upstream = reply.getHeaders()
      const flow: Flow = { run, handled, detached: false }
      flows.set(request, flow)
      // The handler answers as if unconditional (the cache answers the client's validators),
      // or to the cache's own validators when it revalidates.
      request.raw.headers = handlerHeaders(seen, await run.started) as typeof request.raw.headers
      reply.raw.once('close', () => {
        // Ended without passing the onSend hook (a hijacked reply): nothing to store or share.
        if (!run.settled && !flow.detached && reply.raw.writableEnded) {
          run.settle(unshared({ status: reply.raw.statusCode, headers: {}, body: EMPTY }))
        }
      })
      handled.then(
        (answer) => {
          // Answered before the handler did (past `handlerTimeout`): its late answer fills the cache.
          if (!run.settled && !answer.ran) detach(request, reply, flow, answer, upstream)
        },
        () => {},
      )
      return
    }
    // Answered from the cache; a refresh (now or later) runs in a request of its own.
    run.started.then((validators) => background.start(request, seen, run, validators))
    const body = putAnswer(reply, result.response, false)
    // A HEAD's stored length stands: Fastify's HEAD route measures a Buffer, never a stream.
    reply.send(request.method === 'HEAD' ? Readable.from([]) : body)
    return reply
  }

  const onSend: onSendHookHandler = async (request, reply, payload) => {
    const flow = flows.get(request)
    if (flow === undefined) return payload
    flows.delete(request)
    const { run } = flow
    let response: Awaited<ReturnType<typeof captureReply>>
    try {
      response = await captureReply(reply, payload, run.errored)
    } catch (error) {
      run.fail(error)
      throw error
    }
    run.settle(response)
    if (flow.handled === undefined) return Buffer.from(response.body)
    return putAnswer(reply, (await flow.handled).response, true)
  }

  const own: FastifyCacheDecorator = { invalidate: (url) => routes.base.invalidate(url) }
  registrations.set(app, own)
  // Fastify refuses a decoration a parent scope has: one getter, inherited by every scope, finds
  // the nearest registration.
  if (!app.hasDecorator('cacheguard')) {
    app.decorate('cacheguard', {
      getter(this: object): FastifyCacheDecorator {
        return nearest(this)!
      },
    })
  }
  // Routes added once the plugin is registered have their `config.cache` checked at once.
  app.addHook('onRoute', (route) => {
    routes.of(route.config?.cache, () => `\`config.cache\` of ${String(route.method)} ${route.url}`)
  })
  app.addHook('onRequest', onRequest)
  app.addHook('onError', async (request) => {
    const flow = flows.get(request)
    if (flow !== undefined) flow.run.errored = true
  })
  app.addHook('onSend', onSend)

  /**
   * Sends the cache's answer while the handler still runs, and takes what the handler answers
   * later (returned, sent or thrown) for the cache, without sending it: the connection carries
   * the next request meanwhile.
   */
  function detach(
    request: FastifyRequest,
    reply: FastifyReply,
    flow: Flow,
    answer: HttpResult,
    upstream: Record<string, unknown>,
  ): void {
    flow.detached = true
    flows.delete(request)
    sendEarly(reply.raw, answer.response, upstream, request.method === 'HEAD')
    // Fastify sends nothing once a reply is sent, and tells nobody of a late throw: the reply
    // says it is unsent, and its `send` hands the cache what the handler answers.
    Object.defineProperty(reply, 'sent', { configurable: true, get: () => false })
    reply.send = (payload?: unknown) => {
      if (payload instanceof Error) flow.run.fail(payload)
      else {
        captureReply(reply, serializePayload(reply, payload), flow.run.errored).then(
          flow.run.settle,
          flow.run.fail,
        )
      }
      return reply
    }
  }
}

/** Resolves `undefined` once the I/O of this turn of the event loop is done. */
function nextTurn(): Promise<undefined> {
  return new Promise((resolve) => setImmediate(resolve, undefined))
}

/**
 * Fastify 5 plugin that answers requests from the HTTP cache of `@cacheguard/http`, and runs a
 * route's handler only on a miss: once for concurrent identical requests, and once per fleet with
 * `lockGuard` on the cache. What the handler sends (a string, a Buffer, an object after Fastify's
 * serializer, a stream, a `Response`) is read to its end by an `onSend` hook, handed to the cache,
 * and sent from there with `X-Cache`, `Cache-Status` and `Age`. A reply made by Fastify's error
 * handler is never stored. Each route is configured in its `config.cache`: `false` to leave it
 * alone, options of its own (`{ ttl: '5m' }`) over the plugin's. Register it with `await` before
 * the routes, so that their `config.cache` is checked as they are added.
 *
 * @param options - `cache` (required), `global`, and the options of `httpCache`.
 *
 * @example
 * const cache = createCache({ store: redisStore(redis, { prefix: 'http:' }) })
 * await app.register(fastifyCache, { cache, ttl: '30s' })
 * app.get('/products/:id', async (request) => db.findProduct(request.params.id))
 * app.get('/cart', { config: { cache: false } }, async (request) => cartOf(request))
 */
export const fastifyCache = fp(plugin, { fastify: '5.x', name: '@cacheguard/fastify' })
