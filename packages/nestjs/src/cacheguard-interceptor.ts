import {
  type HttpCache,
  type HttpRequest,
  type HttpResponse,
  handlerHeaders,
  type RouteCaches,
  unshared,
  type Validators,
} from '@cacheguard/http'
import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common'
import { REDIRECT_METADATA, RENDER_METADATA, SSE_METADATA } from '@nestjs/common/constants.js'
import { Reflector } from '@nestjs/core'
import { from, lastValueFrom, type Observable } from 'rxjs'
import { CACHE_ROUTE } from './cache-route.js'
import { answerBody, handlerResponse } from './internal/body.js'
import {
  type Detached,
  detach,
  headersOf,
  isFastify,
  isSent,
  type PlatformRequest,
  type PlatformResponse,
  setHeader,
  setRequestHeaders,
  setStatus,
} from './internal/response.js'
import { CACHEGUARD_ROUTES } from './internal/tokens.js'

/** Requests an interceptor already answers: bound globally and on a route, it acts once. */
const handling = new WeakSet<object>()

/**
 * What makes Nest send a handler's value as something else than a body: a template (`@Render`), a
 * redirect (`@Redirect`) or an event stream (`@Sse`). Such handlers are left alone.
 */
const NOT_A_BODY = [RENDER_METADATA, REDIRECT_METADATA, SSE_METADATA]

/**
 * NestJS interceptor that answers HTTP requests from the HTTP cache of `@cacheguard/http`, and
 * runs the route's handler only on a miss: once for concurrent identical requests (once per fleet
 * with `lockGuard` on the cache). What the handler returns is serialized as Nest would (JSON for
 * objects, a `StreamableFile` read to its end), stored as RFC 9111 and the handler's headers
 * allow, and sent with `X-Cache`, `Cache-Status` and `Age`. An exception is never stored: it
 * reaches the exception filters of every request that waited for that run. Works on the Express
 * and the Fastify platform. Bind it with `@UseInterceptors(CacheGuardInterceptor)` on a controller
 * or a handler, or for the whole app with `CacheGuardModule.forRoot({ global: true, ... })`; tune
 * a route with `@CacheRoute`.
 *
 * @example
 * @Controller('products')
 * @UseInterceptors(CacheGuardInterceptor)
 * export class ProductsController {
 *   @Get(':id')
 *   @Header('Cache-Control', 'public, max-age=60')
 *   findOne(@Param('id') id: string) { return this.products.find(id) }
 * }
 */
@Injectable()
export class CacheGuardInterceptor implements NestInterceptor {
  constructor(
    @Inject(CACHEGUARD_ROUTES) private readonly routes: RouteCaches,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  /** Answers the request from the cache, or runs the handler for it. */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle()
    const http = context.switchToHttp()
    const request = http.getRequest<PlatformRequest>()
    if (handling.has(request)) return next.handle()
    const handler = context.getHandler()
    if (NOT_A_BODY.some((key) => this.reflector.get(key, handler) !== undefined)) {
      return next.handle()
    }
    const setting = this.reflector.getAllAndOverride<unknown>(CACHE_ROUTE, [
      handler,
      context.getClass(),
    ])
    const cache = this.routes.of(
      setting,
      () => `@CacheRoute() of ${context.getClass().name}.${handler.name}`,
    )
    if (cache === undefined) return next.handle()
    handling.add(request)
    return from(respond(cache, request, http.getResponse<PlatformResponse>(), next))
  }

  /** Drops the cached GET of `url` (path and query), every variant included. */
  invalidate(url: string): Promise<void> {
    return this.routes.base.invalidate(url)
  }
}

/** The value Nest sends for this request: the cache's answer. */
async function respond(
  cache: HttpCache,
  request: PlatformRequest,
  response: PlatformResponse,
  next: CallHandler,
): Promise<unknown> {
  const fastify = isFastify(response)
  const seen: HttpRequest = {
    method: request.method,
    url: request.originalUrl ?? request.url,
    headers: request.headers,
  }
  // What Nest and the middleware before the handler set: the route's status (`@HttpCode`) and
  // headers (`@Header`, CORS).
  const entry = { status: response.statusCode, headers: headersOf(response) }
  let answered = false
  let running = false
  let late: Detached | undefined
  const run = async (validators?: Validators): Promise<HttpResponse> => {
    running = true
    // Started once the request has its answer (an early refresh): the handler sets its own.
    if (answered) late = detach(response, entry)
    // The handler answers as if unconditional, or to the cache's own validators.
    setRequestHeaders(request, handlerHeaders(seen, validators))
    const before = { status: response.statusCode, headers: headersOf(response) }
    const value = await lastValueFrom(next.handle(), { defaultValue: undefined }).finally(() => {
      running = false
    })
    if (late !== undefined) return handlerResponse(value, late.status(), late.headers(), fastify)
    // A handler that answered through `@Res()` itself: nothing the cache saw to store or share.
    if (isSent(response)) {
      return unshared({ status: response.statusCode, headers: {}, body: new Uint8Array(0) })
    }
    const status = response.statusCode === before.status ? entry.status : response.statusCode
    const headers = { ...entry.headers, ...changed(before.headers, headersOf(response)) }
    return handlerResponse(value, status, headers, fastify)
  }
  const result = await cache.handle(seen, run)
  answered = true
  if (isSent(response)) return undefined
  // A refresh, or a handler past `handlerTimeout`, is still running: what it sets from now on is
  // its own, not the answer's (which would otherwise give a refresh the stale answer's ETag).
  const own = running ? { status: response.statusCode, headers: headersOf(response) } : undefined
  const { status, headers } = result.response
  setStatus(response, status)
  if (result.ran) {
    // The handler's headers are on the response; the cache removed some (its targeted field).
    for (const name of Object.keys(headersOf(response))) {
      if (headers[name] === undefined) response.removeHeader(name)
    }
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) setHeader(response, name, value)
  }
  if (own !== undefined) late = detach(response, own)
  return answerBody(result.response)
}

/** The headers `after` set or changed since `before`. */
function changed(
  before: Record<string, string | string[]>,
  after: Record<string, string | string[]>,
): Record<string, string | string[]> {
  const set: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(after)) {
    if (String(before[name]) !== String(value)) set[name] = value
  }
  return set
}
