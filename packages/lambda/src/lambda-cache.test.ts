import { randomBytes, randomUUID } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { connectRedis, uniquePrefix } from '../../../test/helpers/redis.js'
import { type EventSpec, eventV1, eventV2, frozen } from './fixtures/events.js'
import { type AnyResult, harness, setCookies, sleep } from './fixtures/harness.js'
import { lambdaCache } from './lambda-cache.js'
import type { ProxyEvent } from './types.js'

const redis = connectRedis()
const prefix = uniquePrefix('lambda-cache')
let n = 0
const fresh = () => `${prefix}${++n}:`

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=60', ...headers },
  body: JSON.stringify(body),
})

const formats = [
  {
    name: 'payload 1.0 (REST API)',
    event: eventV1,
    requestId: (event: ProxyEvent) =>
      (event as ReturnType<typeof eventV1>).requestContext.requestId,
    withCookies: (cookies: string[]) => ({ multiValueHeaders: { 'Set-Cookie': cookies } }),
  },
  {
    name: 'payload 2.0 (HTTP API)',
    event: eventV2,
    requestId: (event: ProxyEvent) =>
      (event as ReturnType<typeof eventV2>).requestContext.requestId,
    withCookies: (cookies: string[]) => ({ cookies }),
  },
] as const

describe.each(formats)('lambda cache | $name', ({ event, requestId, withCookies }) => {
  const build = (spec?: EventSpec) => frozen(event(spec))

  it('hits for events differing only in requestId, time and trace id', async () => {
    const app = harness(redis, fresh(), async () => json({ id: 42, name: 'Teapot' }))
    const first = await app.invoke(build())
    const second = await app.invoke(build())
    expect(first).toMatchObject({ statusCode: 200, headers: { 'x-cache': 'MISS' } })
    expect(second).toMatchObject({ statusCode: 200, headers: { 'x-cache': 'HIT', age: '0' } })
    expect(second.body).toBe(first.body)
    expect(second.headers?.['cache-control']).toBe('max-age=60')
    expect(app.runs).toBe(1)
  })

  it('keys by the query with its parameters sorted, every value of a repeated one kept', async () => {
    const app = harness(redis, fresh(), async (e) => json({ query: JSON.stringify(e) }))
    const query = (pairs: Array<[string, string]>) => app.invoke(build({ query: pairs }))
    await query([
      ['b', '2'],
      ['a', '1'],
    ])
    expect(
      (
        await query([
          ['a', '1'],
          ['b', '2'],
        ])
      ).headers?.['x-cache'],
    ).toBe('HIT')
    expect(
      (
        await query([
          ['size', 'M'],
          ['size', 'L'],
        ])
      ).headers?.['x-cache'],
    ).toBe('MISS')
    expect((await query([['size', 'M']])).headers?.['x-cache']).toBe('MISS')
    expect(
      (
        await query([
          ['size', 'M'],
          ['size', 'L'],
        ])
      ).headers?.['x-cache'],
    ).toBe('HIT')
  })

  it('returns a binary response base64-encoded, byte-identical on a miss and a hit', async () => {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(4096)])
    const app = harness(redis, fresh(), async () => ({
      statusCode: 200,
      headers: { 'Content-Type': 'image/png', 'Cache-Control': 'public, max-age=300' },
      body: png.toString('base64'),
      isBase64Encoded: true,
    }))
    for (const expected of ['MISS', 'HIT']) {
      const result = await app.invoke(build({ path: '/products/42/image' }))
      expect(result.headers).toMatchObject({ 'x-cache': expected, 'content-type': 'image/png' })
      expect(result.isBase64Encoded).toBe(true)
      expect(Buffer.from(result.body!, 'base64').equals(png)).toBe(true)
      expect(result.headers).not.toHaveProperty('x-cacheguard-base64')
    }
  })

  it('returns a text response as text, even when a hit serves it', async () => {
    const app = harness(redis, fresh(), async () => json({ name: 'Thé vert 🍵' }))
    for (const expected of ['MISS', 'HIT']) {
      const result = await app.invoke(build())
      expect(result).toMatchObject({ isBase64Encoded: false, headers: { 'x-cache': expected } })
      expect(JSON.parse(result.body!)).toEqual({ name: 'Thé vert 🍵' })
    }
  })

  it('hands the handler its event unchanged, a base64 request body included', async () => {
    const bytes = Buffer.from('00010203fffefdfc80818283cecfd0d1', 'hex')
    const seen: ProxyEvent[] = []
    const app = harness(redis, fresh(), async (e) => {
      seen.push(e)
      return {
        statusCode: 201,
        headers: {},
        body: e.body ?? '',
        isBase64Encoded: e.isBase64Encoded,
      }
    })
    const post = build({ method: 'POST', body: bytes })
    const result = await app.invoke(post)
    expect(seen[0]).toBe(post)
    expect(Buffer.from(result.body!, 'base64').equals(bytes)).toBe(true)
    expect(result.isBase64Encoded).toBe(true)
  })

  it('never stores nor shares Set-Cookie, one invocation after another or at once', async () => {
    const at = fresh()
    const app = harness(redis, at, async (e) => {
      await sleep(50)
      return { ...json({ id: 42 }), ...withCookies([`session=${requestId(e)}; HttpOnly`]) }
    })
    const events = Array.from({ length: 10 }, () => build())
    const results = [await app.invoke(events[0])]
    results.push(...(await Promise.all(events.slice(1).map((e) => app.invoke(e)))))
    results.forEach((result, i) => {
      expect(setCookies(result)).toEqual([`session=${requestId(events[i]!)}; HttpOnly`])
    })
    expect(app.runs).toBe(10)
    for (const key of await redis.keys(`${at}*`)) {
      expect(await redis.get(key)).not.toContain('session=')
    }
  })

  it('bypasses for a request with Authorization (any case), and stores nothing from it', async () => {
    const app = harness(redis, fresh(), async (e) => {
      const auth = e.headers?.authorization ?? e.headers?.Authorization
      return json(auth ? { orders: ['private'] } : { orders: [] })
    })
    const authorized = await app.invoke(build({ headers: { Authorization: 'Bearer ey.J' } }))
    expect(authorized.headers?.['x-cache']).toBe('BYPASS')
    const anonymous = await app.invoke(build())
    expect(anonymous.headers?.['x-cache']).toBe('MISS')
    expect(JSON.parse(anonymous.body!)).toEqual({ orders: [] })
    const again = await app.invoke(build({ headers: { authorization: 'Bearer ey.K' } }))
    expect(again.headers?.['x-cache']).toBe('BYPASS')
    expect(JSON.parse(again.body!)).toEqual({ orders: ['private'] })
    expect(app.runs).toBe(3)
  })

  it('never hands a response made for one request with cookies to another (cookies: private)', async () => {
    const app = harness(redis, fresh(), async (e) => {
      const cookie =
        e.headers?.cookie ?? e.headers?.Cookie ?? (e as { cookies?: string[] }).cookies?.join('; ')
      return json({ user: /user=(\w+)/.exec(cookie ?? '')?.[1] ?? null })
    })
    const ann = await app.invoke(build({ cookies: ['user=ann', 'theme=dark'] }))
    const bob = await app.invoke(build({ cookies: ['user=bob'] }))
    expect([JSON.parse(ann.body!), JSON.parse(bob.body!)]).toEqual([
      { user: 'ann' },
      { user: 'bob' },
    ])
    expect(app.runs).toBe(2)
  })

  it("never shows the handler a client's If-None-Match on GET: its answer is shared", async () => {
    const seen: Array<string | undefined> = []
    const app = harness(redis, fresh(), async (e) => {
      seen.push(e.headers?.['if-none-match'] ?? e.headers?.['If-None-Match'])
      return json({ id: 1 }, { ETag: '"v1"' })
    })
    const result = await app.invoke(build({ headers: { 'If-None-Match': '"v1"' } }))
    expect([result.statusCode, JSON.parse(result.body!)]).toEqual([200, { id: 1 }])
    expect(seen).toEqual([undefined])
    // Stored for everyone: the same client's next conditional request gets a 304 from the cache.
    expect((await app.invoke(build({ headers: { 'If-None-Match': '"v1"' } }))).statusCode).toBe(304)
  })

  it('revalidates a stale response with its ETag: a 304 from the handler freshens it', async () => {
    const seen: Array<string | undefined> = []
    const app = harness(redis, fresh(), async (e) => {
      const condition = e.headers?.['if-none-match']
      seen.push(condition)
      const headers = { 'Cache-Control': 'max-age=1', ETag: '"v1"' }
      if (condition === '"v1"') return { statusCode: 304, headers, body: '' }
      return json({ id: 1 }, headers)
    })
    await app.invoke(build())
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const revalidated = await app.invoke(build())
    expect([revalidated.statusCode, JSON.parse(revalidated.body!)]).toEqual([200, { id: 1 }])
    expect(seen).toEqual([undefined, '"v1"'])
    expect((await app.invoke(build())).headers?.['x-cache']).toBe('HIT')
  })

  it('answers If-None-Match with 304, its ETag and Cache-Control, and an empty body', async () => {
    const app = harness(redis, fresh(), async () => json({ id: 42 }, { ETag: '"v7"' }))
    await app.invoke(build())
    const result = await app.invoke(build({ headers: { 'If-None-Match': '"v6", W/"v7"' } }))
    expect(result).toMatchObject({ statusCode: 304, body: '', isBase64Encoded: false })
    expect(result.headers).toMatchObject({ etag: '"v7"', 'cache-control': 'max-age=60' })
    expect(app.runs).toBe(1)
  })

  it('drops the cached GET when a POST to the same path succeeds', async () => {
    let version = 1
    const app = harness(redis, fresh(), async (e) => {
      const method = 'httpMethod' in e ? e.httpMethod : e.requestContext.http.method
      if (method === 'POST') version++
      return json({ version })
    })
    // The same URL: the GET fixture has a query, the POST fixture none.
    const get = () => app.invoke(build({ query: [] }))
    await get()
    expect((await get()).headers?.['x-cache']).toBe('HIT')
    const post = await app.invoke(build({ method: 'POST', body: '{"name":"Kettle"}' }))
    expect(post.headers?.['x-cache']).toBe('BYPASS')
    const after = await get()
    expect(after.headers?.['x-cache']).toBe('MISS')
    expect(JSON.parse(after.body!)).toEqual({ version: 2 })
  })

  it('runs the handler once for 50 concurrent invocations of one URL', async () => {
    const app = harness(redis, fresh(), async () => {
      await sleep(200)
      return json({ id: 42, at: randomUUID() })
    })
    const results = await Promise.all(Array.from({ length: 50 }, () => app.invoke(build())))
    expect(app.runs).toBe(1)
    expect(new Set(results.map((r) => r.body)).size).toBe(1)
    expect(results.every((r) => r.statusCode === 200)).toBe(true)
  })

  it('reads header names case-insensitively: Cache-Control, Vary and the request headers', async () => {
    const app = harness(redis, fresh(), async (e) => {
      const language = e.headers?.['accept-language'] ?? e.headers?.['Accept-Language']
      return json({ language }, { Vary: 'Accept-Language', 'Content-Language': String(language) })
    })
    const get = (language: string) =>
      app.invoke(build({ headers: { 'Accept-Language': language } }))
    expect((await get('fr')).headers?.['x-cache']).toBe('MISS')
    expect((await get('de')).headers?.['x-cache']).toBe('MISS')
    const fr = await get('fr')
    expect(fr.headers).toMatchObject({ 'x-cache': 'HIT', 'content-language': 'fr' })

    const noStore = harness(redis, fresh(), async () => json({}, { 'Cache-Control': 'no-store' }))
    await noStore.invoke(build())
    const second = await noStore.invoke(build())
    expect(second.headers).toMatchObject({ 'cache-control': 'no-store' })
    expect(noStore.runs).toBe(2)
  })

  it('reuses the cache across warm invocations, and shares it with other environments', async () => {
    const shared = fresh()
    const warm = harness(redis, shared, async () => json({ id: 42 }))
    await warm.invoke(build())
    await warm.invoke(build())
    expect(warm.runs).toBe(1)
    // A cold start elsewhere (a new execution environment over the same Redis) hits too.
    const cold = harness(redis, shared, async () => json({ id: 42 }))
    expect((await cold.invoke(build())).headers?.['x-cache']).toBe('HIT')
    expect(cold.runs).toBe(0)
  })
})

describe('lambda cache | both formats', () => {
  it('serves a v2 event from the entry a v1 event of the same URL stored', async () => {
    const app = harness(redis, fresh(), async () => json({ id: 42 }))
    const query: Array<[string, string]> = [['color', 'red']]
    await app.invoke(eventV1({ query }))
    const result = await app.invoke(eventV2({ query }))
    expect(result.headers?.['x-cache']).toBe('HIT')
  })

  it('wraps a callback-style handler as the Lambda runtime calls it', async () => {
    const { cache } = harness(redis, fresh(), async () => json({}))
    const cached = lambdaCache(cache, (_event: ProxyEvent, _context: unknown, callback) => {
      setTimeout(() => callback(null, json({ style: 'callback' })), 10)
    })
    const first = (await cached(eventV1(), {})) as AnyResult
    const second = (await cached(eventV2(), {})) as AnyResult
    expect(JSON.parse(first.body!)).toEqual({ style: 'callback' })
    expect([first.headers?.['x-cache'], second.headers?.['x-cache']]).toEqual(['MISS', 'HIT'])
    const failing = lambdaCache(cache, (_e: ProxyEvent, _c: unknown, cb) => cb(new Error('no')))
    await expect(failing(eventV1({ path: '/other' }), {})).rejects.toThrow('no')
  })

  it('passes events that are not proxy events to the handler untouched', async () => {
    const ping = { source: 'serverless-plugin-warmup' }
    const app = harness(redis, fresh(), async (e) => ({ pong: e }) as unknown as AnyResult)
    expect(await app.invoke(ping)).toEqual({ pong: ping })
  })

  it('validates its arguments when it is called', () => {
    const { cache } = harness(redis, fresh(), async () => json({}))
    expect(() => lambdaCache(cache, 'handler' as never)).toThrow(/Expected `handler`/)
    expect(() => lambdaCache(cache, async () => json({}), { ttl: -1 })).toThrow(/`ttl`/)
  })
})
