import { serveExample } from '../example-server.js'
import { describeProductApi } from '../product-api-checks.js'

const server = serveExample('./hono/server.ts', 'hono-example')

describeProductApi('examples | hono', {
  url: () => server.url,
  // The CORS middleware runs before the cache: its header is on hits too.
  requestHeaders: { origin: 'https://a.test' },
  hitHeaders: { 'access-control-allow-origin': '*' },
})
