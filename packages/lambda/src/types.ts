import type { HttpCacheOptions } from '@cacheguard/http'

// The event and result shapes are written out here, by the fields the cache reads and writes,
// rather than imported from `@types/aws-lambda`: the published types then need nothing installed.
// `APIGatewayProxyEvent`, `APIGatewayProxyEventV2` and their results are assignable to them (a
// type test keeps it so). Optional fields accept `undefined` for `exactOptionalPropertyTypes`.

/** A payload format 1.0 proxy event: API Gateway REST APIs, and HTTP APIs set to format 1.0. */
export interface ProxyEventV1 {
  httpMethod: string
  /** The resource path, without the stage on an `execute-api` URL. */
  path: string
  headers?: Record<string, string | undefined> | null | undefined
  multiValueHeaders?: Record<string, string[] | undefined> | null | undefined
  queryStringParameters?: Record<string, string | undefined> | null | undefined
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null | undefined
  body?: string | null | undefined
  isBase64Encoded?: boolean | undefined
}

/** A payload format 2.0 proxy event: API Gateway HTTP APIs and Lambda function URLs. */
export interface ProxyEventV2 {
  version: string
  /** The path; it starts with the stage on a named stage's `execute-api` URL. */
  rawPath: string
  rawQueryString?: string | undefined
  /** The request's `Cookie` header, split: API Gateway moves it out of `headers`. */
  cookies?: string[] | undefined
  headers?: Record<string, string | undefined> | undefined
  queryStringParameters?: Record<string, string | undefined> | undefined
  requestContext: { http: { method: string } }
  body?: string | undefined
  isBase64Encoded?: boolean | undefined
}

/** An API Gateway proxy event of either payload format. */
export type ProxyEvent = ProxyEventV1 | ProxyEventV2

/** A payload format 1.0 result. API Gateway merges `headers` into `multiValueHeaders`. */
export interface ProxyResultV1 {
  statusCode: number
  headers?: Record<string, boolean | number | string> | undefined
  multiValueHeaders?: Record<string, Array<boolean | number | string>> | undefined
  body: string
  isBase64Encoded?: boolean | undefined
}

/** A payload format 2.0 result with its fields; `cookies` are sent as `Set-Cookie` headers. */
export interface ProxyStructuredResultV2 {
  statusCode?: number | undefined
  headers?: Record<string, boolean | number | string> | undefined
  body?: string | undefined
  isBase64Encoded?: boolean | undefined
  cookies?: string[] | undefined
}

/**
 * A payload format 2.0 result. As in API Gateway, a result without a `statusCode` (a string, or
 * any other JSON value) is sent as a 200 `application/json` response whose body is that value.
 */
export type ProxyResultV2 = ProxyStructuredResultV2 | string

/** The result a handler of event `E` resolves. */
export type ProxyResultOf<E> = E extends ProxyEventV2 ? ProxyResultV2 : ProxyResultV1

/** The result the cached handler resolves for event `E`: always the structured form. */
export type CachedResultOf<E> = E extends ProxyEventV2 ? ProxyStructuredResultV2 : ProxyResultV1

/** The callback of a callback-style handler: an error, or the result. */
export type ProxyCallback<E> = (error?: unknown, result?: ProxyResultOf<E>) => void

/**
 * A Lambda handler of API Gateway proxy events: async (it resolves the result), or callback-style
 * (it passes the result to `callback`). `APIGatewayProxyHandler` and `APIGatewayProxyHandlerV2`
 * from `@types/aws-lambda` are such handlers.
 */
export type ProxyHandler<E extends ProxyEvent, C = unknown> = (
  event: E,
  context: C,
  callback: ProxyCallback<E>,
  // biome-ignore lint/suspicious/noConfusingVoidType: as `Handler` in @types/aws-lambda: a callback-style handler's return type is void, which `undefined` would not accept
) => void | Promise<ProxyResultOf<E>>

/** The handler `lambdaCache` returns: the same kind as the one it wraps. */
export type CachedProxyHandler<E extends ProxyEvent, C = unknown> = (
  event: E,
  context: C,
) => Promise<CachedResultOf<E>>

/**
 * Options of `lambdaCache`: those of `httpCache`, which makes every decision (see
 * `@cacheguard/http`). The adapter itself has none.
 */
export type LambdaCacheOptions = HttpCacheOptions
