// A Koa product API whose GET routes are cached in Redis by @cacheguard/koa. The "database" is
// slow and counts its queries, so the protection shows: concurrent misses run it once.
//   node --import tsx --conditions=cacheguard-source examples/koa-redis/server.ts
// Env: REDIS_URL (default redis://127.0.0.1:6379), PORT (default 3000, 0 for any free port),
// CACHE_PREFIX (default 'koa-example:').
import type { AddressInfo } from 'node:net'
import { createCache } from '@cacheguard/core'
import { koaCache } from '@cacheguard/koa'
import { redisStore } from '@cacheguard/redis'
import { Redis } from 'ioredis'
import Koa from 'koa'

/** Stands in for the database: 100 ms a query, and a count of them at /stats. */
const db = {
  queries: 0,
  products: new Map([
    ['1', { id: '1', name: 'Teapot', price: 25 }],
    ['2', { id: '2', name: 'Kettle', price: 40 }],
  ]),
  async find(id: string) {
    db.queries++
    await new Promise((resolve) => setTimeout(resolve, 100))
    return db.products.get(id)
  },
}

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const prefix = process.env.CACHE_PREFIX ?? 'koa-example:'
const cache = createCache({ store: redisStore(redis, { prefix }), jitter: 0.1 })

const app = new Koa()
// Compression (koa-compress), logging and CORS go here, before the cache: they then act on hits too.
app.use(
  koaCache(cache, {
    ttl: '1m',
    notFoundTtl: '10s',
    handlerTimeout: '5s',
    // Each product page carries its product's tag; pages that show several products say so with
    // a Cache-Tag header (read by the cache, never sent).
    tags: (request) => {
      const id = /^\/products\/(\w+)$/.exec(request.url)?.[1]
      return id === undefined ? [] : [`product:${id}`]
    },
  }),
)
app.use(async (ctx) => {
  const product = /^\/products\/(\w+)$/.exec(ctx.path)
  if (product && ctx.method === 'GET') {
    const found = await db.find(product[1]!)
    if (found === undefined) {
      // Stored for notFoundTtl. (A thrown ctx.throw(404) would go to the error handling, unstored.)
      ctx.status = 404
      ctx.body = { error: 'no such product' }
      return
    }
    ctx.set('Cache-Control', 'public, max-age=60')
    ctx.body = found
  } else if (ctx.path === '/catalog' && ctx.method === 'GET') {
    // Every product, tagged with each: a change to one of them drops this page too.
    const ids = [...db.products.keys()]
    const products = await Promise.all(ids.map((id) => db.find(id)))
    ctx.set('Cache-Control', 'public, max-age=600')
    ctx.set('Cache-Tag', ids.map((id) => `product:${id}`).join(', '))
    ctx.body = products
  } else if (product && ctx.method === 'PUT') {
    // A successful PUT drops the cached GET of the same URL, and deleteTags every page that shows
    // the product (the catalog), in every process.
    const chunks: Buffer[] = []
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
    const id = product[1]!
    db.products.set(id, { id, ...JSON.parse(Buffer.concat(chunks).toString()) })
    await cache.deleteTags([`product:${id}`])
    ctx.body = db.products.get(id)
  } else if (ctx.path === '/stats') {
    ctx.set('Cache-Control', 'no-store') // never stored: always the live count
    ctx.body = { queries: db.queries }
  }
})

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  console.log(`listening on http://127.0.0.1:${port}`)
})

process.once('SIGTERM', () => {
  server.close()
  server.closeAllConnections()
  void redis.quit()
})
