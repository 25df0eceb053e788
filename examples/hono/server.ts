// A Hono 4 app whose product pages are cached by @cacheguard/hono, in Redis when it answers (in
// memory otherwise): concurrent misses run the handler once, the handler's Cache-Control decides
// what is stored and for how long, CORS headers (set by middleware before the cache) are on every
// answer, and a PUT drops the cached GET of its URL.
//   node --import tsx --conditions=cacheguard-source examples/hono/server.ts
// REDIS_URL (default redis://127.0.0.1:6379), PORT (default 3000; 0 picks a free one) and
// CACHE_PREFIX (default 'hono:<pid>:') change it. It prints `listening on <url>` when ready.
import type { AddressInfo } from 'node:net'
import { createCache } from '@cacheguard/core'
import { honoCache } from '@cacheguard/hono'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { exampleStore } from '../example-store.js'
import { productDb } from '../product-db.js'

const { store, redis } = await exampleStore(`hono:${process.pid}:`)
const cache = createCache({ store })
const cached = honoCache(cache, { ttl: '30s', handlerTimeout: '5s' })

/** Stands in for the database: 100 products, each query takes 100 ms. */
const db = productDb()

const app = new Hono()
app.use(cors({ origin: '*' }))
app.get('/products/:id', cached, async (c) => {
  const product = await db.findProduct(Number(c.req.param('id')))
  if (product === undefined) return c.json({ error: 'no such product' }, 404)
  // Fresh for 60 s, then served stale for up to 5 minutes while one request refreshes it.
  return c.json(product, 200, { 'cache-control': 'public, max-age=60, stale-while-revalidate=300' })
})
// A successful PUT through the cache drops the cached GET of the same URL.
app.put('/products/:id', cached, async (c) => {
  const { price } = await c.req.json<{ price: number }>()
  db.prices.set(Number(c.req.param('id')), Number(price))
  return c.body(null, 204)
})
// Not cached: how many queries reached the database.
app.get('/stats', (c) => c.json({ queries: db.queries, cache: cache.stats() }))

const server = serve(
  { fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' },
  (info: AddressInfo) => console.log(`listening on http://127.0.0.1:${info.port}`),
)
const stop = () => {
  server.close(async () => {
    await cache.close()
    await redis?.quit()
  })
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
