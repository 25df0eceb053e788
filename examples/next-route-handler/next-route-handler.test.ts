import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { connectRedis, redisUrl, uniquePrefix } from '../../test/helpers/redis.js'
import { deleteKeys } from '../storm/redis-probe.js'
import type * as productRoute from './app/products/[id]/route.js'
import { type NextDevServer, startNextDev } from './next-dev.js'
import type { RouteHandler, RouteModule } from './route-handler.js'

const redis = connectRedis()
const prefix = uniquePrefix('next-route-handler')
let server: NextDevServer

beforeAll(async () => {
  server = await startNextDev({ REDIS_URL: redisUrl(), CACHE_PREFIX: prefix })
}, 90_000)

afterAll(async () => {
  try {
    // Rejects if a process of next dev's group (the CLI, its server) outlives SIGTERM.
    await server?.stop()
  } finally {
    await deleteKeys(redis, `${prefix}*`)
  }
}, 30_000)

const queries = async () =>
  ((await (await fetch(`${server.url}/stats`)).json()) as { queries: number }).queries

const storedKeys = async () => {
  const keys: string[] = []
  for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1000 })) {
    keys.push(...(batch as string[]))
  }
  return keys
}

describe('examples | next route handler', () => {
  // The first request compiles the route: the generous timeout is for Turbopack, not the cache.
  it('answers 20 concurrent requests for a product with one database query, then from Redis', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${server.url}/products/7`)),
    )
    const bodies = await Promise.all(replies.map((reply) => reply.text()))
    expect(replies.map((reply) => reply.status)).toEqual(Array(20).fill(200))
    expect(new Set(bodies)).toEqual(new Set(['{"id":7,"name":"Product 7","price":16}']))
    expect(replies.map((reply) => reply.headers.get('x-cache'))).toContain('MISS')
    expect(await queries()).toBe(1)
    const again = await fetch(`${server.url}/products/7`)
    expect(again.headers.get('x-cache')).toBe('HIT')
    expect(again.headers.get('cache-control')).toBe(
      'public, max-age=60, stale-while-revalidate=300',
    )
    expect(await storedKeys()).not.toEqual([])
    expect(await queries()).toBe(1)
  }, 60_000)

  it('stores a 404 for unknown ids (penetration)', async () => {
    const first = await fetch(`${server.url}/products/5000`)
    const before = await queries()
    const second = await fetch(`${server.url}/products/5000`)
    expect([first.status, second.status]).toEqual([404, 404])
    expect([first.headers.get('x-cache'), second.headers.get('x-cache')]).toEqual(['MISS', 'HIT'])
    expect(await second.json()).toEqual({ error: 'no such product' })
    expect(await queries()).toBe(before)
  }, 30_000)

  it('drops the cached product when a PUT changes it (GET.invalidate)', async () => {
    await fetch(`${server.url}/products/8`)
    const put = await fetch(`${server.url}/products/8`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ price: 99 }),
    })
    expect(put.status).toBe(204)
    const after = await fetch(`${server.url}/products/8`)
    expect(await after.json()).toEqual({ id: 8, name: 'Product 8', price: 99 })
    expect(after.headers.get('x-cache')).toBe('MISS')
  }, 30_000)

  it('type-checks against the route types next dev generated', async () => {
    // next dev wrote .next/dev/types/validator.ts, which checks each route module against Next's
    // own RouteHandlerConfig; this example's tsconfig.json includes it.
    const validator = await readFile(
      new URL('.next/dev/types/validator.ts', import.meta.url),
      'utf8',
    )
    expect(validator).toContain('RouteHandlerConfig<"/products/[id]">')
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
    const project = fileURLToPath(new URL('tsconfig.json', import.meta.url))
    // tsc prints its diagnostics to stdout, and nothing when there are none.
    const { stdout } = await promisify(execFile)(process.execPath, [tsc, '-p', project]).catch(
      (error: { stdout: string }) => error,
    )
    expect(stdout).toBe('')
  }, 60_000)

  it('exports handlers of the type Next.js 16 checks route handlers against', () => {
    expectTypeOf<typeof productRoute>().toExtend<RouteModule<{ id: string }>>()
    // The Next 14 shape (params not a promise) is not what Next 15 and 16 call: the check sees it.
    expectTypeOf<
      (request: Request, context: { params: { id: string } }) => Response
    >().not.toExtend<RouteHandler<{ id: string }>>()
  })
})
