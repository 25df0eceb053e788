// A products API behind API Gateway, REST (payload 1.0) or HTTP API (payload 2.0), with its
// responses cached in Redis. Deploy with `handler` as the function's handler.
import { createCache } from '@cacheguard/core'
import { lambdaCache } from '@cacheguard/lambda'
import { redisStore } from '@cacheguard/redis'
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
} from 'aws-lambda'
import { Redis } from 'ioredis'
import { catalog, productImage } from './catalog.js'

// Module scope: runs once per execution environment, at its cold start. Every warm invocation
// reuses this connection and this cache (and its in-process single-flight).
export const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  // A dead connection (say, closed while the environment was frozen) fails the command at once,
  // and the cache answers from the handler instead of waiting; ioredis reconnects behind it.
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
})
redis.on('error', (error: Error) => console.warn(`redis: ${error.message}`))

const cache = createCache({
  store: redisStore(redis, { prefix: process.env.CACHE_PREFIX ?? 'products-api:' }),
})

const PRODUCT = /^\/products\/(\d+)(\/image)?$/

export const handler = lambdaCache(
  cache,
  async (event: APIGatewayProxyEvent | APIGatewayProxyEventV2): Promise<APIGatewayProxyResult> => {
    const method = 'httpMethod' in event ? event.httpMethod : event.requestContext.http.method
    const path = 'httpMethod' in event ? event.path : event.rawPath
    const match = PRODUCT.exec(path)
    if (match === null) return json(404, { message: 'Not Found' })
    const id = Number(match[1])

    if (method === 'POST' && match[2] === undefined) {
      const text = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8')
      const { price } = JSON.parse(text.toString()) as { price: number }
      const product = await catalog.setPrice(id, price)
      // A 2xx to a POST drops the cached GET of /products/{id}; deleteTags drops every other
      // response tagged with the product (its image), in every execution environment.
      if (product) await cache.deleteTags([`product:${id}`])
      return product ? json(200, product) : json(404, { message: 'No such product' })
    }
    if (method !== 'GET' && method !== 'HEAD') return json(405, { message: 'Method Not Allowed' })

    const product = await catalog.find(id)
    // Cached too, for 30 s: unknown ids do not reach the database again and again. `public`:
    // browsers send cookies, and a response to a request with cookies is shared only when it
    // says it may be (the middleware's `cookies: 'private'` default).
    if (product === undefined) {
      return json(404, { message: 'No such product' }, { 'Cache-Control': 'public, max-age=30' })
    }
    if (match[2] !== undefined) {
      return {
        statusCode: 200,
        headers: {
          'Content-Type': 'image/png',
          'Cache-Control': 'public, max-age=3600',
          // Read by the cache, never sent: deleteTags(['product:<id>']) drops this response.
          'Cache-Tag': `product:${id}`,
        },
        body: productImage.toString('base64'),
        isBase64Encoded: true,
      }
    }
    return json(200, product, {
      // Fresh for a minute; for 30 s more a stale copy answers at once while one refresh runs.
      'Cache-Control': 'public, max-age=60, stale-while-revalidate=30',
      ETag: `"${product.id}-${product.version}"`,
    })
  },
)

function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  }
}
