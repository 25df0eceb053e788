import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { connectRedis, redisUrl, uniquePrefix } from '../../test/helpers/redis.js'
import { describeProductApi } from '../product-api-checks.js'
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

const storedKeys = async () => {
  const keys: string[] = []
  for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1000 })) {
    keys.push(...(batch as string[]))
  }
  return keys
}

describeProductApi('examples | next route handler', {
  url: () => server.url,
  hitHeaders: { 'cache-control': 'public, max-age=60, stale-while-revalidate=300' },
  // The first request compiles the route: the generous timeout is for Turbopack, not the cache.
  firstTimeoutMs: 60_000,
})

describe('examples | next route handler', () => {
  it('stores its pages in Redis, shared by every process of the app', async () => {
    await fetch(`${server.url}/products/9`)
    expect(await storedKeys()).not.toEqual([])
  })

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
