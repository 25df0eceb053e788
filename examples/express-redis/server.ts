// An Express 5 app whose product pages are cached in Redis by @cacheguard/express: concurrent
// misses run the handler once (once for the whole fleet, with lockGuard), the handler's
// Cache-Control decides what is stored and for how long, and a PUT drops the cached page and,
// by its tag, every cached page that shows the product.
//   node --import tsx --conditions=cacheguard-source examples/express-redis/server.ts
// REDIS_URL (default redis://127.0.0.1:6379), PORT (default 3000; 0 picks a free one) and
// CACHE_PREFIX (default 'shop:http:') change it. It prints `listening on <url>` when ready.
import { createCache } from '@cacheguard/core'
import { expressCache } from '@cacheguard/express'
import { lockGuard } from '@cacheguard/lock'
import { redisStore } from '@cacheguard/redis'
import { Redlock } from '@sesamecare-oss/redlock'
import express from 'express'
import { Redis } from 'ioredis'
import { productDb } from '../product-db.js'

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const subscriber = redis.duplicate()
const prefix = process.env.CACHE_PREFIX ?? 'shop:http:'
// One handler run per URL for every process of the fleet, woken over pub/sub when it is stored.
const guard = lockGuard({
  redlock: new Redlock([redis]),
  redis,
  subscriber,
  prefix: `${prefix}lock:`,
})
const cache = createCache({ store: redisStore(redis, { prefix }), guards: [guard] })
const cached = expressCache(cache, { ttl: '30s', handlerTimeout: '5s' })

/** Stands in for the database: 100 products, each query takes 100 ms. */
const db = productDb()

const app = express()
app.get('/products/:id', cached, async (req, res) => {
  const product = await db.findProduct(Number(req.params.id))
  if (product === undefined) {
    res.status(404).json({ error: 'no such product' })
    return
  }
  // Stored for 60 s, then served stale for up to 5 minutes while one request refreshes it; tagged
  // with the product (Cache-Tag speaks to the cache alone: it never leaves).
  res
    .set('Cache-Control', 'public, max-age=60, stale-while-revalidate=300')
    .set('Cache-Tag', `product:${product.id}`)
    .json(product)
})
// The featured products: one page showing three products, tagged with each.
const featured = [1, 2, 3]
app.get('/featured', cached, async (_req, res) => {
  const products = await Promise.all(featured.map((id) => db.findProduct(id)))
  res
    .set('Cache-Control', 'public, max-age=600')
    .set('Cache-Tag', featured.map((id) => `product:${id}`).join(', '))
    .json(products)
})
// A successful PUT through the cache drops the cached GET of the same URL; deleteTags drops every
// other page that shows the product (here /featured), in every process.
app.put('/products/:id', cached, express.json(), async (req, res) => {
  db.prices.set(Number(req.params.id), Number(req.body.price))
  await cache.deleteTags([`product:${req.params.id}`])
  res.status(204).end()
})
// Not cached: how many queries reached the database.
app.get('/stats', (_req, res) => {
  res.json({ queries: db.queries, cache: cache.stats() })
})

await guard.ready()
const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  console.log(`listening on http://127.0.0.1:${port}`)
})

process.once('SIGTERM', () => {
  server.close()
  server.closeAllConnections()
  void guard.close().then(() => Promise.all([subscriber.quit(), redis.quit()]))
})
