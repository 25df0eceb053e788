import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectRedis, redisUrl, uniquePrefix } from '../../test/helpers/redis.js'

const exec = promisify(execFile)
const redis = connectRedis()
const prefix = uniquePrefix('lambda-example')
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
const event = (name: string) => JSON.parse(readFileSync(here(`./events/${name}.json`), 'utf8'))

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

interface Invocation {
  result: { statusCode: number; headers: Record<string, string>; body: string }
  dbQueries: number
}

/** Runs invoke.ts in a new process: a cold start of a new execution environment. */
async function coldStart(...events: string[]): Promise<Invocation[]> {
  const { stdout } = await exec(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=cacheguard-source',
      here('./invoke.ts'),
      ...events.map((name) => here(`./events/${name}.json`)),
    ],
    { env: { ...process.env, REDIS_URL: redisUrl(), CACHE_PREFIX: `${prefix}child:` } },
  )
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Invocation)
}

describe('examples | lambda-apigateway, in child processes', () => {
  it('serves the v2 event from the entry the v1 event stored, and a later cold start too', async () => {
    const [v1, v2] = await coldStart('v1-get-product', 'v2-get-product')
    expect(v1?.result).toMatchObject({ statusCode: 200, headers: { 'x-cache': 'MISS' } })
    expect(v2?.result).toMatchObject({ statusCode: 200, headers: { 'x-cache': 'HIT' } })
    expect(v2?.result.body).toBe(v1?.result.body)
    expect(v2?.dbQueries).toBe(1)
    // Another execution environment: a new process, the same Redis.
    const [later] = await coldStart('v2-get-product')
    expect(later?.result.headers['x-cache']).toBe('HIT')
    expect(later?.dbQueries).toBe(0)
  })
})

describe('examples | lambda-apigateway, in process', () => {
  type Module = typeof import('./handler.js')
  let app: Module
  let catalog: typeof import('./catalog.js')

  beforeAll(async () => {
    process.env.REDIS_URL = redisUrl()
    process.env.CACHE_PREFIX = `${prefix}in-process:`
    app = await import('./handler.js')
    catalog = await import('./catalog.js')
  })
  afterAll(async () => {
    await app.redis.quit()
  })

  const invoke = async (name: string) =>
    (await app.handler(event(name), { awsRequestId: 'test' })) as Invocation['result'] & {
      isBase64Encoded: boolean
    }

  it('returns the product image base64-encoded, byte-identical from the cache', async () => {
    const miss = await invoke('v2-get-image')
    const hit = await invoke('v2-get-image')
    expect([miss.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT'])
    for (const result of [miss, hit]) {
      expect(result.isBase64Encoded).toBe(true)
      expect(Buffer.from(result.body, 'base64').equals(catalog.productImage)).toBe(true)
    }
  })

  it('reuses the cache across warm invocations, and a POST drops the cached GET', async () => {
    const before = await invoke('v1-get-product')
    const again = await invoke('v2-get-product')
    expect(again.headers['x-cache']).toBe('HIT')
    const post = await invoke('v1-post-product')
    expect(JSON.parse(post.body)).toMatchObject({ price: 12.5 })
    const after = await invoke('v2-get-product')
    expect(after.headers['x-cache']).toBe('MISS')
    expect(JSON.parse(after.body)).toMatchObject({ price: 12.5 })
    expect(after.headers.etag).not.toBe(before.headers.etag)
  })

  it('drops the cached image of a product, tagged with it, when a POST changes the product', async () => {
    await invoke('v2-get-image')
    const hit = await invoke('v2-get-image')
    expect([hit.headers['x-cache'], hit.headers['cache-tag']]).toEqual(['HIT', undefined])
    await invoke('v1-post-product')
    expect((await invoke('v2-get-image')).headers['x-cache']).toBe('MISS')
  })

  it('answers an unknown id from the cache the second time, and If-None-Match with 304', async () => {
    const unknown = event('v2-get-product')
    unknown.rawPath = '/products/4040'
    const queries = catalog.catalog.queries
    const first = await app.handler(unknown, {})
    const second = await app.handler({ ...unknown }, {})
    expect([first.statusCode, second.statusCode]).toEqual([404, 404])
    expect(second.headers?.['x-cache']).toBe('HIT')
    expect(catalog.catalog.queries - queries).toBe(1)

    const product = await invoke('v1-get-product')
    const conditional = event('v1-get-product')
    conditional.headers['If-None-Match'] = product.headers.etag
    const result = await app.handler(conditional, {})
    expect(result).toMatchObject({ statusCode: 304, body: '' })
  })

  it('runs the handler once for 50 concurrent invocations', async () => {
    const queries = catalog.catalog.queries
    const events = Array.from({ length: 50 }, () => {
      const e = event('v2-get-product')
      e.rawPath = '/products/8'
      return e
    })
    const results = await Promise.all(events.map((e) => app.handler(e, {})))
    expect(results.every((r) => r.statusCode === 200)).toBe(true)
    expect(catalog.catalog.queries - queries).toBe(1)
  })
})
