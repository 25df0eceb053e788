// An Express 5 list endpoint over PostgreSQL: GET /products?ids=1,2,3 reads every product through
// one cache.getOrSetMany call, so a page costs one store round trip and, for the ids missing from
// the cache, one SELECT ... WHERE id = ANY($1), and concurrent pages that share ids load each id
// once. A cold list page is the N+1 form of a stampede; this is its guard.
//   node --import tsx --conditions=cacheguard-source examples/express-list/server.ts
// DATABASE_URL / EXAMPLE_DB pick the database (see db.ts), REDIS_URL (default
// redis://127.0.0.1:6379; the memory store when it does not answer), PORT (default 3000; 0 picks a
// free one) and CACHE_PREFIX (default `list:<pid>:`) change it. It prints `listening on <url>`.
import { type CacheStore, createCache, memoryStore } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import express, { type NextFunction, type Request, type Response } from 'express'
import { connectIfAnswering } from '../storm/redis-probe.js'
import { openDatabase } from './db.js'

interface Product {
  id: number
  name: string
  price: number
}

/** The most ids one request may ask for. */
const MAX_IDS = 200
/** The largest PostgreSQL `integer`: a larger id would be a database error, not a 404. */
const MAX_ID = 2_147_483_647

const db = await openDatabase()
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const redis = await connectIfAnswering(redisUrl)
const prefix = process.env.CACHE_PREFIX ?? `list:${process.pid}:`
let store: CacheStore
if (redis) {
  store = redisStore(redis, { prefix })
  console.log(`store: Redis at ${redisUrl} (keys under ${prefix})`)
} else {
  store = memoryStore()
  console.log(`store: memory (no Redis answers at ${redisUrl})`)
}
const cache = createCache({ store })

/** What reached the database: `loadProducts` calls, and the rows they returned. */
const counts = { queries: 0, rows: 0 }

/**
 * The `loadMany` of the list: one query for the keys that are missing from the cache and not
 * already being loaded. Ids it does not return are cached as "not found" (for `negativeTtl`).
 */
async function loadProducts(keys: string[]): Promise<Map<string, Product>> {
  const ids = keys.map((key) => Number(key.slice('product:'.length)))
  counts.queries++
  const rows = await db.query<Product>(
    `SELECT id, name, price FROM ${db.table} WHERE id = ANY($1)`,
    [ids],
  )
  counts.rows += rows.length
  return new Map(rows.map((row) => [`product:${row.id}`, row]))
}

/** The ids of `?ids=3,1,2`, in order (duplicates kept), or why they are not acceptable. */
function parseIds(raw: unknown): number[] | string {
  const expected = `Expected \`ids\` to be 1 to ${MAX_IDS} comma-separated product ids (integers from 1 to ${MAX_ID})`
  if (typeof raw !== 'string' || raw === '') {
    return `${expected}, got ${raw === undefined ? 'none' : JSON.stringify(raw)}`
  }
  const parts = raw.split(',')
  if (parts.length > MAX_IDS) return `${expected}, got ${parts.length} ids`
  const ids: number[] = []
  for (const [position, part] of parts.entries()) {
    if (!/^[1-9][0-9]{0,9}$/.test(part) || Number(part) > MAX_ID) {
      return `${expected}, got \`${part}\` at position ${position + 1}`
    }
    ids.push(Number(part))
  }
  return ids
}

const app = express()
app.get('/products', async (req, res) => {
  const ids = parseIds(req.query.ids)
  if (typeof ids === 'string') {
    res.status(400).json({ error: ids })
    return
  }
  const products = await cache.getOrSetMany(
    ids.map((id) => `product:${id}`),
    loadProducts,
    { ttl: '1m' },
  )
  res.json(products.map((product) => product ?? null))
})
// Not cached: what reached the database, and the cache's counters.
app.get('/stats', (_req, res) => {
  res.json({ ...counts, cache: cache.stats() })
})
// A database or cache failure: a JSON 500 rather than Express's HTML page.
app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
  console.error(error)
  res.status(500).json({ error: 'the products could not be read' })
})

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  console.log(`listening on http://127.0.0.1:${port}`)
})

let closing = false
async function shutdown() {
  if (closing) return
  closing = true
  server.close()
  server.closeAllConnections()
  await cache.close()
  await Promise.all([redis?.quit(), db.close()])
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    shutdown().catch((error: unknown) => {
      console.error(error)
      process.exitCode = 1
    })
  })
}
