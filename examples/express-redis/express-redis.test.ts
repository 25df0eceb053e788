import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectRedis, redisUrl, uniquePrefix } from '../../test/helpers/redis.js'
import { type ExampleServer, startExampleServer } from '../run-example.js'

const redis = connectRedis()
const prefix = uniquePrefix('express-example')
let server: ExampleServer
let url: string

beforeAll(async () => {
  server = await startExampleServer('./express-redis/server.ts', {
    REDIS_URL: redisUrl(),
    PORT: '0',
    CACHE_PREFIX: prefix,
  })
  url = server.url
})

afterAll(async () => {
  await server?.stop()
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

const stats = async () =>
  ((await (await fetch(`${url}/stats`)).json()) as { queries: number }).queries

describe('examples | express-redis', () => {
  it('answers 20 concurrent requests for a product with one database query, then from Redis', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/products/7`)))
    const bodies = await Promise.all(replies.map((reply) => reply.text()))
    expect(new Set(bodies)).toEqual(new Set(['{"id":7,"name":"Product 7","price":16}']))
    expect(await stats()).toBe(1)
    const again = await fetch(`${url}/products/7`)
    expect(again.headers.get('x-cache')).toBe('HIT')
    expect(again.headers.get('cache-control')).toBe(
      'public, max-age=60, stale-while-revalidate=300',
    )
    expect(await stats()).toBe(1)
  })

  it('drops the cached page when the product is updated with a PUT', async () => {
    await fetch(`${url}/products/8`)
    const put = await fetch(`${url}/products/8`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ price: 99 }),
    })
    expect(put.status).toBe(204)
    const after = await fetch(`${url}/products/8`)
    expect(after.headers.get('x-cache')).toBe('MISS')
    expect(await after.json()).toEqual({ id: 8, name: 'Product 8', price: 99 })
  })

  it('remembers a missing product for a short while', async () => {
    const first = await fetch(`${url}/products/404`)
    expect(first.status).toBe(404)
    const second = await fetch(`${url}/products/404`)
    expect(second.status).toBe(404)
    expect(second.headers.get('x-cache')).toBe('HIT')
  })

  it('refetches the featured page, tagged with each product it shows, after a PUT to one of them', async () => {
    const first = await fetch(`${url}/featured`)
    expect(first.headers.get('cache-tag')).toBeNull()
    expect(((await first.json()) as Array<{ price: number }>)[1]!.price).toBe(11)
    const hit = await fetch(`${url}/featured`)
    expect(hit.headers.get('x-cache')).toBe('HIT')
    await hit.arrayBuffer()
    const put = await fetch(`${url}/products/2`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ price: 99 }),
    })
    expect(put.status).toBe(204)
    const after = await fetch(`${url}/featured`)
    expect(after.headers.get('x-cache')).toBe('MISS')
    expect(((await after.json()) as Array<{ price: number }>)[1]!.price).toBe(99)
  })
})
