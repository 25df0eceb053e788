// The shared HTTP scenario suite over Lambda: requests reach the cached function through a
// stand-in for API Gateway's HTTP API (fixtures/gateway.ts), as payload 2.0 events; the
// scenario's handler answers them as a function would (binary bodies base64-encoded, Set-Cookie
// in `cookies`).
import { describeHttpScenarios, type ScenarioResponse } from '@cacheguard/http/testing'
import { redisOutage } from '../../../test/helpers/redis-outage.js'
import { redisStores } from '../../../test/helpers/redis-stores.js'
import { gateway } from './fixtures/gateway.js'
import { lambdaCache } from './lambda-cache.js'
import type { ProxyEventV2, ProxyStructuredResultV2 } from './types.js'

describeHttpScenarios({
  name: 'lambda',
  store: redisStores('lambda-scenarios'),
  outage: redisOutage,
  serve(cache, handler, options) {
    const fn = lambdaCache(
      cache,
      async (event: ProxyEventV2) => {
        const query = event.rawQueryString ? `?${event.rawQueryString}` : ''
        const cookie = event.cookies?.join('; ')
        const answer = await handler({
          method: event.requestContext.http.method,
          url: `${event.rawPath}${query}`,
          headers: { ...event.headers, ...(cookie === undefined ? {} : { cookie }) },
        })
        return toResult(answer)
      },
      options,
    )
    return gateway(fn)
  },
})

/** A scenario's answer as a v2 result. */
function toResult(answer: ScenarioResponse): ProxyStructuredResultV2 {
  const headers: Record<string, string> = {}
  let cookies: string[] | undefined
  for (const [name, value] of Object.entries(answer.headers ?? {})) {
    if (name.toLowerCase() === 'set-cookie') cookies = [value].flat()
    else headers[name] = [value].flat().join(', ')
  }
  // A payload 2.0 result has no stream: a streamed body goes joined.
  const body = answer.chunks === undefined ? (answer.body ?? '') : Buffer.concat(answer.chunks)
  return {
    statusCode: answer.status ?? 200,
    headers,
    ...(cookies === undefined ? {} : { cookies }),
    ...(typeof body === 'string'
      ? { body }
      : { body: Buffer.from(body).toString('base64'), isBase64Encoded: true }),
  }
}
