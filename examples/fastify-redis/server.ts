// A Fastify 5 app whose product pages are cached by @cacheguard/fastify, in Redis when it answers
// (in memory otherwise): concurrent misses run the handler once, the handler's Cache-Control
// decides what is stored and for how long, CORS headers (set by @fastify/cors before the cache)
// are on every answer, a PUT drops the cached GET of its URL, and the stats route is left alone
// by its config.
//   node --import tsx --conditions=cacheguard-source examples/fastify-redis/server.ts
// REDIS_URL (default redis://127.0.0.1:6379), PORT (default 3000; 0 picks a free one) and
// CACHE_PREFIX (default 'fastify:<pid>:') change it. It prints `listening on <url>` when ready.
import { createCache } from '@cacheguard/core'
import { fastifyCache } from '@cacheguard/fastify'
import cors from '@fastify/cors'
import Fastify from 'fastify'
import { exampleStore } from '../example-store.js'
import { productDb } from '../product-db.js'

const { store, redis } = await exampleStore(`fastify:${process.pid}:`)
const cache = createCache({ store })

/** Stands in for the database: 100 products, each query takes 100 ms. */
const db = productDb()

const app = Fastify()
await app.register(cors, { origin: '*' })
// Registered with `await`, before the routes: each route's `config.cache` is checked as it is added.
await app.register(fastifyCache, { cache, ttl: '30s', handlerTimeout: '5s' })

app.get<{ Params: { id: string } }>('/products/:id', async (request, reply) => {
  const product = await db.findProduct(Number(request.params.id))
  if (product === undefined) return reply.code(404).send({ error: 'no such product' })
  // Fresh for 60 s, then served stale for up to 5 minutes while one request refreshes it.
  reply.header('cache-control', 'public, max-age=60, stale-while-revalidate=300')
  return product
})
// A successful PUT through the cache drops the cached GET of the same URL.
app.put<{ Params: { id: string }; Body: { price: number } }>(
  '/products/:id',
  async (request, reply) => {
    db.prices.set(Number(request.params.id), Number(request.body.price))
    return reply.code(204).send()
  },
)
// Not cached: how many queries reached the database.
app.get('/stats', { config: { cache: false } }, async () => ({
  queries: db.queries,
  cache: cache.stats(),
}))

const url = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
console.log(`listening on ${url}`)
const stop = async () => {
  await app.close()
  await cache.close()
  await redis?.quit()
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
