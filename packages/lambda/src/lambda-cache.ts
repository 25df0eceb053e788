import type { Cache } from '@cacheguard/core'
import {
  CONDITIONAL_HEADERS,
  type HttpRequest,
  type HttpResponse,
  handlerHeaders,
  httpCache,
  type Validators,
} from '@cacheguard/http'
import { payloadVersion, requestV1, requestV2 } from './internal/request.js'
import { fromResultV1, fromResultV2, toResultV1, toResultV2 } from './internal/response.js'
import type {
  CachedProxyHandler,
  LambdaCacheOptions,
  ProxyCallback,
  ProxyEvent,
  ProxyEventV1,
  ProxyEventV2,
  ProxyHandler,
  ProxyResultOf,
} from './types.js'

/**
 * Wraps an API Gateway proxy handler (REST API payload 1.0, HTTP API payload 2.0, or both) with
 * the HTTP cache of `@cacheguard/http`: concurrent identical requests run it once, responses are
 * stored as the handler's `Cache-Control` allows, and `X-Cache`, `Cache-Status` and `Age` are set.
 * The key is the method, path, query and the declared headers: never `requestContext`. Call it
 * once, at module scope, so that warm invocations share the cache; events that are not proxy
 * events go to the handler untouched. A handler that throws fails the invocation with its error,
 * and nothing is stored.
 *
 * @param cache - a cache from `createCache`, created at module scope.
 * @param handler - a handler of `APIGatewayProxyEvent` or `APIGatewayProxyEventV2` events, async
 *   or callback-style.
 * @param options - the options of `httpCache`.
 * @returns a handler of the same kind, whose results always have a `statusCode`.
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL)
 * const cache = createCache({ store: redisStore(redis, { prefix: 'api:' }) })
 * export const handler = lambdaCache(cache, async (event: APIGatewayProxyEventV2) => ({
 *   statusCode: 200,
 *   headers: { 'cache-control': 'max-age=60' },
 *   body: JSON.stringify(await db.product(event.pathParameters?.id)),
 * }))
 */
export function lambdaCache<E extends ProxyEvent, C = unknown>(
  cache: Cache,
  handler: ProxyHandler<E, C>,
  options: LambdaCacheOptions = {},
): CachedProxyHandler<E, C> {
  if (typeof handler !== 'function') {
    throw new TypeError(
      `Expected \`handler\` to be a Lambda handler function, got \`${String(handler)}\` (${typeof handler})`,
    )
  }
  // One HTTP cache for the life of the execution environment: its in-process single-flight and
  // the cache's connection and memory tier outlive each invocation.
  const http = httpCache(cache, options)
  const cached = async (event: E, context: C) => {
    const version = payloadVersion(event)
    if (version === undefined) return call(handler, event, context)
    const request: HttpRequest =
      version === 2 ? requestV2(event as ProxyEventV2) : requestV1(event as ProxyEventV1)
    const fromResult = version === 2 ? fromResultV2 : fromResultV1
    // Runs this invocation's own handler. It may outlive the invocation (a stale-while-revalidate
    // refresh), and Lambda freezes the environment once the result is returned: see the README.
    const run = async (validators?: Validators): Promise<HttpResponse> =>
      fromResult(await call(handler, conditional(event, request, validators), context))
    const { response } = await http.handle(request, run)
    return version === 2 ? toResultV2(response) : toResultV1(response)
  }
  return cached as CachedProxyHandler<E, C>
}

/**
 * Calls an async or a callback-style handler, as the Lambda runtime does: the result is what the
 * returned promise resolves, or what the callback is given, whichever comes first.
 */
function call<E extends ProxyEvent, C>(
  handler: ProxyHandler<E, C>,
  event: E,
  context: C,
): Promise<ProxyResultOf<E> | undefined> {
  return new Promise((resolve, reject) => {
    const callback: ProxyCallback<E> = (error, result) => {
      if (error !== undefined && error !== null) reject(error)
      else resolve(result)
    }
    const returned = handler(event, context, callback)
    if (returned !== undefined) Promise.resolve(returned).then(resolve, reject)
  })
}

/**
 * The event as the handler sees it when the cache runs it: on GET and HEAD without the client's
 * validators and with the cache's own, if it revalidates (the rule is @cacheguard/http's
 * `handlerHeaders`), in `headers` and, for payload 1.0, `multiValueHeaders`.
 */
function conditional<E extends ProxyEvent>(
  event: E,
  request: HttpRequest,
  validators: Validators | undefined,
): E {
  if (!/^(GET|HEAD)$/i.test(request.method)) return event
  const keep = (name: string) => !CONDITIONAL_HEADERS.includes(name.toLowerCase())
  const headers = handlerHeaders({ ...request, headers: event.headers ?? {} }, validators)
  const copy = { ...event, headers }
  const multi = (event as { multiValueHeaders?: Record<string, string[] | undefined> | null })
    .multiValueHeaders
  if (multi !== undefined && multi !== null) {
    const values: Record<string, string[] | undefined> = {}
    for (const [name, value] of Object.entries(multi)) if (keep(name)) values[name] = value
    for (const [name, value] of Object.entries(validators ?? {})) values[name] = [value]
    Object.assign(copy, { multiValueHeaders: values })
  }
  return copy
}
