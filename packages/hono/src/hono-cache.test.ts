// honoCache's own cases, over a real socket (@hono/node-server): Hono's response helpers (c.json,
// c.text, c.body with bytes, streamText), middleware before the cache (CORS), Hono's error
// handler, a refresh that must not inherit the stale answer's headers, and bad input.
import type { AddressInfo } from 'node:net'
import { createCache, memoryStore } from '@cacheguard/core'
import { type ServerType, serve } from '@hono/node-server'
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { streamText } from 'hono/streaming'
import { describe, expect, it, onTestFinished } from 'vitest'
import { honoCache } from './hono-cache.js'

const cacheable = { 'cache-control': 'max-age=60' }

/** Serves `app` on a free loopback port until the test ends; resolves its base URL. */
async function listen(app: Hono): Promise<string> {
  const server = await new Promise<ServerType>((resolve) => {
    const started: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(started),
    )
  })
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('honoCache', () => {
  it('caches what c.json, c.text, c.body and streamText answer, byte for byte', async () => {
    const cache = createCache({ store: memoryStore() })
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256)
    let runs = 0
    const app = new Hono()
    app.use(honoCache(cache))
    app.get('/json', (c) => {
      runs++
      return c.json({ runs: 1, name: 'Teapot' }, 200, cacheable)
    })
    app.get('/text', (c) => {
      runs++
      return c.text('héllo', 200, cacheable)
    })
    app.get('/bytes', (c) => {
      runs++
      return c.body(bytes.slice().buffer, 200, { ...cacheable, 'content-type': 'image/png' })
    })
    app.get('/stream', (c) => {
      runs++
      c.header('cache-control', 'max-age=60')
      return streamText(c, async (stream) => {
        for (let i = 0; i < 5; i++) {
          await stream.write(`chunk ${i};`)
          await stream.sleep(5)
        }
      })
    })
    const base = await listen(app)
    for (let pass = 0; pass < 2; pass++) {
      const json = await fetch(`${base}/json`)
      expect(await json.json()).toEqual({ runs: 1, name: 'Teapot' })
      expect(await (await fetch(`${base}/text`)).text()).toBe('héllo')
      const image = await fetch(`${base}/bytes`)
      expect(new Uint8Array(await image.arrayBuffer())).toEqual(bytes)
      const streamed = await fetch(`${base}/stream`)
      expect(await streamed.text()).toBe('chunk 0;chunk 1;chunk 2;chunk 3;chunk 4;')
      expect(streamed.headers.get('x-cache')).toBe(pass === 0 ? 'MISS' : 'HIT')
    }
    expect(runs).toBe(4)
  })

  it('sends the headers of middleware before it on hits too (CORS)', async () => {
    const app = new Hono()
    app.use(cors({ origin: 'https://shop.test' }))
    app.use(honoCache(createCache({ store: memoryStore() })))
    app.get('/p', (c) => c.json({ ok: true }, 200, cacheable))
    const base = await listen(app)
    for (const expected of ['MISS', 'HIT']) {
      const reply = await fetch(`${base}/p`, { headers: { origin: 'https://shop.test' } })
      expect(reply.headers.get('x-cache')).toBe(expected)
      expect(reply.headers.get('access-control-allow-origin')).toBe('https://shop.test')
    }
  })

  it('lets Hono’s error handler answer a handler that throws, and stores nothing', async () => {
    let fail = true
    const app = new Hono()
    app.use(honoCache(createCache({ store: memoryStore() })))
    app.get('/x', (c) => {
      if (fail) throw new Error('database down')
      return c.text('ok', 200, cacheable)
    })
    app.onError((error, c) => c.text(`handled: ${error.message}`, 500))
    const base = await listen(app)
    const failed = await fetch(`${base}/x`)
    expect([failed.status, await failed.text()]).toEqual([500, 'handled: database down'])
    fail = false
    const ok = await fetch(`${base}/x`)
    expect([ok.status, await ok.text(), ok.headers.get('x-cache')]).toEqual([200, 'ok', 'MISS'])
  })

  it('stores a stale-while-revalidate refresh with its own headers, not the stale answer’s (ETag)', async () => {
    let runs = 0
    const app = new Hono()
    app.use(honoCache(createCache({ store: memoryStore() })))
    app.get('/doc', (c) => {
      runs++
      // The first response has an ETag; the refresh has none, and must not inherit the old one.
      const headers: Record<string, string> = {
        'cache-control': 'max-age=1, stale-while-revalidate=60',
      }
      if (runs === 1) headers.etag = '"v1"'
      return c.text(`version ${runs}`, 200, headers)
    })
    const base = await listen(app)
    await fetch(`${base}/doc`)
    await sleep(1100)
    const stale = await fetch(`${base}/doc`)
    expect([stale.headers.get('x-cache'), await stale.text()]).toEqual(['STALE', 'version 1'])
    await expect.poll(() => runs).toBe(2)
    await sleep(50)
    const fresh = await fetch(`${base}/doc`)
    expect([fresh.headers.get('x-cache'), await fresh.text()]).toEqual(['HIT', 'version 2'])
    expect(fresh.headers.get('etag')).toBeNull()
  })

  it('refuses a missing cache and bad options when it is created', () => {
    expect(() => honoCache(undefined as never)).toThrow(
      'Expected `cache` to be a cache from createCache()',
    )
    expect(() => honoCache(createCache({ store: memoryStore() }), { maxBodyBytes: -1 })).toThrow(
      TypeError,
    )
  })
})
