import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectRedis, redisUrl, uniquePrefix } from '../../test/helpers/redis.js'
import { seededRandom } from '../../test/helpers/seeded-random.js'
import { type ExampleServer, startExampleServer } from '../run-example.js'
import { deleteKeys } from '../storm/redis-probe.js'

interface Product {
  id: number
  name: string
  price: number
}
interface Stats {
  queries: number
  rows: number
  cache: { hits: number }
}

const redis = connectRedis()
const REQUESTS = 50
const PRODUCTS = 1000

/** The product db.ts seeds for `id`, or null past the 1,000th: computed here, not read from it. */
const expected = (id: number): Product | null =>
  id <= PRODUCTS ? { id, name: `Product ${id}`, price: 100 + ((id * 37) % 900) } : null

/** 50 pages of 100 distinct ids: 97 of the 1,000 products and 3 that do not exist, shuffled. */
function pages(): number[][] {
  const random = seededRandom(16)
  const pick = (from: number, to: number, n: number, page: Set<number>) => {
    while (page.size < n) page.add(from + Math.floor(random() * (to - from + 1)))
  }
  return Array.from({ length: REQUESTS }, () => {
    const page = new Set<number>()
    pick(1, PRODUCTS, 97, page)
    pick(PRODUCTS + 1, PRODUCTS + 100, 100, page)
    const ids = [...page]
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[ids[i], ids[j]] = [ids[j]!, ids[i]!]
    }
    return ids
  })
}

/**
 * Starts server.ts as its own process with `env` over the test's, and resolves its URL and what
 * it printed once it listens; stops it (SIGTERM, then checks it exited cleanly) after the suite.
 */
function startServer(env: Record<string, string>) {
  const prefix = uniquePrefix('express-list')
  const started = { url: '', output: '' }
  let server: ExampleServer | undefined
  beforeAll(async () => {
    server = await startExampleServer('./express-list/server.ts', {
      REDIS_URL: redisUrl(),
      PORT: '0',
      CACHE_PREFIX: prefix,
      ...env,
    })
    started.url = server.url
    started.output = server.output
  })
  afterAll(async () => {
    // It closes the server, Redis and the database (dropping its table), then ends by itself.
    if (server !== undefined) expect(await server.stop()).toBe(0)
    await deleteKeys(redis, `${prefix}*`)
  })
  return started
}

const get = async (url: string) => {
  const reply = await fetch(url)
  return { status: reply.status, body: (await reply.json()) as unknown }
}

function listSuite(name: string, env: Record<string, string>, database: RegExp) {
  describe(`examples | express-list | ${name}`, () => {
    const server = startServer(env)
    const list = pages()
    const stats = async () => (await get(`${server.url}/stats`)).body as Stats
    const askAll = () =>
      Promise.all(list.map((ids) => get(`${server.url}/products?ids=${ids.join(',')}`)))

    it('says which database it uses', () => {
      expect(server.output).toMatch(database)
    })

    it('answers 50 concurrent pages of 100 ids in order, loading each id once in at most one query per page', async () => {
      const replies = await askAll()
      for (const [i, reply] of replies.entries()) {
        expect(reply.status).toBe(200)
        expect(reply.body).toEqual(list[i]!.map(expected))
      }
      const existing = new Set(list.flat().filter((id) => id <= PRODUCTS))
      const { queries, rows } = await stats()
      // Every id that exists was loaded, and none twice.
      expect(rows).toBe(existing.size)
      // 5,000 ids asked: one query per id would be 5,000; one per page is 50.
      expect(queries).toBeGreaterThan(0)
      expect(queries).toBeLessThanOrEqual(REQUESTS)
    })

    it('answers the same pages again from the cache, with no query', async () => {
      const before = await stats()
      const replies = await askAll()
      for (const [i, reply] of replies.entries()) expect(reply.body).toEqual(list[i]!.map(expected))
      const after = await stats()
      expect(after.queries).toBe(before.queries)
      expect(after.rows).toBe(before.rows)
      expect(after.cache.hits - before.cache.hits).toBe(REQUESTS * 100)
    })

    it('answers a repeated id at each position', async () => {
      const reply = await get(`${server.url}/products?ids=5,1001,5,2`)
      expect(reply.body).toEqual([expected(5), null, expected(5), expected(2)])
    })

    it('refuses ids that are not a list of 1 to 200 positive integers with a 400', async () => {
      const tooMany = `ids=${Array.from({ length: 201 }, (_, i) => i + 1).join(',')}`
      for (const query of ['ids=abc', 'ids=1,,2', 'ids=0', 'ids=-3', 'ids=1&ids=2', '', tooMany]) {
        const reply = await get(`${server.url}/products?${query}`)
        expect(reply.status, query.slice(0, 20)).toBe(400)
        expect((reply.body as { error: string }).error).toMatch(/^Expected `ids` to be 1 to 200/)
      }
    })
  })
}

// PostgreSQL on 127.0.0.1:5432 (or DATABASE_URL) when it answers, PGlite otherwise: the default.
listSuite('PostgreSQL when one answers', {}, /^database: (PostgreSQL at|PGlite)/m)
// PGlite whatever answers, so both paths are proven on a machine with PostgreSQL.
listSuite(
  'PGlite (EXAMPLE_DB=pglite)',
  { EXAMPLE_DB: 'pglite' },
  /^database: PGlite \(in memory\)/m,
)
