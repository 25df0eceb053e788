import { expect, it } from 'vitest'
import { serveExample } from '../example-server.js'
import { describeProductApi } from '../product-api-checks.js'

const server = serveExample('./fastify-redis/server.ts', 'fastify-example')

describeProductApi('examples | fastify-redis', {
  url: () => server.url,
  // @fastify/cors is registered before the cache: its header is on hits too.
  requestHeaders: { origin: 'https://a.test' },
  hitHeaders: { 'access-control-allow-origin': '*' },
})

it('leaves the route whose config says cache: false uncached', async () => {
  const stats = await fetch(`${server.url}/stats`)
  expect([stats.status, stats.headers.get('x-cache')]).toEqual([200, null])
})
