import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectRedis, redisUrl, uniquePrefix } from '../../test/helpers/redis.js'
import { type ExampleServer, startExampleServer } from '../run-example.js'
import { deleteKeys } from '../storm/redis-probe.js'

const redis = connectRedis()

describe.each(['express', 'fastify'])('examples | nestjs (%s)', (platform) => {
  const prefix = uniquePrefix(`nest-example-${platform}`)
  let server: ExampleServer

  beforeAll(async () => {
    server = await startExampleServer('./nestjs/server.ts', {
      REDIS_URL: redisUrl(),
      PORT: '0',
      CACHE_PREFIX: prefix,
      PLATFORM: platform,
    })
  })

  afterAll(async () => {
    // It closes the server, the cache and Redis, then ends by itself.
    if (server !== undefined) expect(await server.stop()).toBe(0)
    await deleteKeys(redis, `${prefix}*`)
  })

  const queries = async () =>
    ((await (await fetch(`${server.url}/stats`)).json()) as { queries: number }).queries

  it('answers 20 concurrent requests for a product with one database query, then from Redis', async () => {
    expect(server.output).toContain(`platform: ${platform}`)
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${server.url}/products/7`)),
    )
    const bodies = await Promise.all(replies.map((reply) => reply.text()))
    expect(new Set(bodies)).toEqual(new Set(['{"id":7,"name":"Product 7","price":16}']))
    expect(await queries()).toBe(1)
    const again = await fetch(`${server.url}/products/7`)
    expect([again.headers.get('x-cache'), again.headers.get('cache-control')]).toEqual([
      'HIT',
      'public, max-age=60, stale-while-revalidate=300',
    ])
    expect(await queries()).toBe(1)
  })

  it('drops the cached product when a PUT changes it', async () => {
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
  })

  it('stores a 404 for unknown ids (penetration), never an exception', async () => {
    const first = await fetch(`${server.url}/products/5000`)
    const before = await queries()
    const second = await fetch(`${server.url}/products/5000`)
    expect([first.status, second.status]).toEqual([404, 404])
    expect(second.headers.get('x-cache')).toBe('HIT')
    expect(await queries()).toBe(before)
    const flaky = await Promise.all([1, 2].map(() => fetch(`${server.url}/flaky`)))
    expect(flaky.map((reply) => reply.status)).toEqual([503, 503])
    expect((await fetch(`${server.url}/flaky`)).headers.get('x-cache')).toBeNull()
  })
})
