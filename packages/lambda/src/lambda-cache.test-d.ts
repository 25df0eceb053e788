import type { Cache } from '@cacheguard/core'
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyHandler,
  APIGatewayProxyHandlerV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda'
import { describe, expectTypeOf, it } from 'vitest'
import { lambdaCache } from './lambda-cache.js'
import type { ProxyEventV1, ProxyEventV2, ProxyResultV1, ProxyStructuredResultV2 } from './types.js'

declare const cache: Cache

describe('lambdaCache | types', () => {
  it('accepts the @types/aws-lambda events and results', () => {
    expectTypeOf<APIGatewayProxyEvent>().toExtend<ProxyEventV1>()
    expectTypeOf<APIGatewayProxyEventV2>().toExtend<ProxyEventV2>()
    expectTypeOf<APIGatewayProxyResult>().toExtend<ProxyResultV1>()
    expectTypeOf<APIGatewayProxyStructuredResultV2>().toExtend<ProxyStructuredResultV2>()
    expectTypeOf<ProxyResultV1>().toExtend<APIGatewayProxyResult>()
    expectTypeOf<ProxyStructuredResultV2>().toExtend<APIGatewayProxyStructuredResultV2>()
  })

  it('returns a handler of the kind it wraps, payload 1.0', () => {
    const handler = lambdaCache(cache, async (event: APIGatewayProxyEvent, context: Context) => ({
      statusCode: 200,
      body: `${event.path} ${context.awsRequestId}`,
    }))
    expectTypeOf(handler).toExtend<APIGatewayProxyHandler>()
    expectTypeOf(handler).returns.resolves.toEqualTypeOf<ProxyResultV1>()
  })

  it('returns a handler of the kind it wraps, payload 2.0', () => {
    const typed: APIGatewayProxyHandlerV2 = async (event) => event.rawPath
    const handler = lambdaCache(cache, typed, { ttl: '30s' })
    expectTypeOf(handler).toExtend<APIGatewayProxyHandlerV2>()
    expectTypeOf(handler).parameter(0).toEqualTypeOf<APIGatewayProxyEventV2>()
    expectTypeOf(handler).returns.resolves.toEqualTypeOf<ProxyStructuredResultV2>()
  })

  it('rejects a result of the wrong format and options that are not options', () => {
    // @ts-expect-error: a payload 1.0 handler must resolve { statusCode, body }
    lambdaCache(cache, async (_event: APIGatewayProxyEvent) => 'text')
    // @ts-expect-error: `ttl` is a duration
    lambdaCache(cache, async (_event: APIGatewayProxyEventV2) => 'text', { ttl: 'soon' })
  })
})
