// The checks every product API example passes over HTTP (hono, fastify-redis, nestjs,
// next-route-handler): one database query for a burst of requests, a PUT that drops the cached
// page, and a stored 404. Each example's test starts its server and calls describeProductApi.
import { describe, expect, it } from 'vitest'

/** What an example's test tells the checks. */
export interface ProductApi {
  /** The server's base URL, once started. */
  url(): string
  /** Headers a hit must carry, besides `X-Cache: HIT` (CORS, the handler's Cache-Control). */
  hitHeaders?: Record<string, string>
  /** Headers the hit's request sends (an `Origin`). @default {} */
  requestHeaders?: Record<string, string>
  /** How long the first check may take (a framework that compiles the route on its first request). @default 30000 */
  firstTimeoutMs?: number
}

/** Registers the product API checks under `name`. */
export function describeProductApi(name: string, api: ProductApi): void {
  const queries = async () =>
    ((await (await fetch(`${api.url()}/stats`)).json()) as { queries: number }).queries

  describe(name, () => {
    it(
      'answers 20 concurrent requests for a product with one database query, then from the cache',
      async () => {
        const replies = await Promise.all(
          Array.from({ length: 20 }, () => fetch(`${api.url()}/products/7`)),
        )
        const bodies = await Promise.all(replies.map((reply) => reply.text()))
        expect(new Set(replies.map((reply) => reply.status))).toEqual(new Set([200]))
        expect(new Set(bodies)).toEqual(new Set(['{"id":7,"name":"Product 7","price":16}']))
        expect(replies.map((reply) => reply.headers.get('x-cache'))).toContain('MISS')
        expect(await queries()).toBe(1)
        const again = await fetch(`${api.url()}/products/7`, { headers: api.requestHeaders ?? {} })
        expect(again.headers.get('x-cache')).toBe('HIT')
        for (const [header, value] of Object.entries(api.hitHeaders ?? {})) {
          expect([header, again.headers.get(header)]).toEqual([header, value])
        }
        expect(await queries()).toBe(1)
      },
      api.firstTimeoutMs ?? 30_000,
    )

    it('drops the cached product when a PUT changes it', async () => {
      await fetch(`${api.url()}/products/8`)
      const put = await fetch(`${api.url()}/products/8`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ price: 99 }),
      })
      expect(put.status).toBe(204)
      const after = await fetch(`${api.url()}/products/8`)
      expect(await after.json()).toEqual({ id: 8, name: 'Product 8', price: 99 })
      expect(after.headers.get('x-cache')).toBe('MISS')
    })

    it('stores a 404 for unknown ids (penetration)', async () => {
      const first = await fetch(`${api.url()}/products/5000`)
      const before = await queries()
      const second = await fetch(`${api.url()}/products/5000`)
      expect([first.status, second.status]).toEqual([404, 404])
      expect([first.headers.get('x-cache'), second.headers.get('x-cache')]).toEqual(['MISS', 'HIT'])
      expect(await second.json()).toEqual({ error: 'no such product' })
      expect(await queries()).toBe(before)
    })
  })
}
