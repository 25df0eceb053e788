import { Readable } from 'node:stream'
import { gunzipSync } from 'node:zlib'
import Koa, { type Middleware } from 'koa'
import compress from 'koa-compress'
import { describe, expect, it } from 'vitest'
import { contentHeaders, listen, redisCaches } from '../test/serve.js'
import { koaCache } from './index.js'

const cacheFor = redisCaches('koa-bodies')

/** Every byte value, several times over: what a binary-unsafe path would mangle. */
const binary = Buffer.from(Array.from({ length: 256 * 40 }, (_, i) => (i * 7) % 256))

/** Each route sets the body its own way; the cached app must send what plain Koa sends. */
const routes: Record<string, (ctx: Koa.Context) => void> = {
  '/html': (ctx) => {
    ctx.body = '<p>héllo wörld</p>'
  },
  '/text': (ctx) => {
    ctx.set('X-Custom', 'kept')
    ctx.body = 'plain text, ünïcode ✓'
  },
  '/typed': (ctx) => {
    ctx.type = 'application/xml'
    ctx.body = '<a/>'
  },
  '/buffer': (ctx) => {
    ctx.body = binary
  },
  '/json': (ctx) => {
    ctx.body = { name: 'Ada', list: [1, 2, 3], emoji: '😀' }
  },
  '/stream': (ctx) => {
    ctx.type = 'image/png'
    ctx.body = Readable.from([binary.subarray(0, 1000), binary.subarray(1000)])
  },
  '/web-stream': (ctx) => {
    ctx.body = new Blob([binary]).stream()
  },
  '/blob': (ctx) => {
    ctx.body = new Blob([binary], { type: 'image/webp' })
  },
  '/empty': (ctx) => {
    ctx.body = ''
  },
  '/null': (ctx) => {
    ctx.body = null
  },
  '/no-content': (ctx) => {
    ctx.status = 204
  },
  '/nothing': () => {},
}

const handler: Middleware = (ctx) => routes[ctx.path]?.(ctx)

describe('koa cache | bodies', () => {
  it.each(Object.keys(routes))(
    'replays %s byte for byte, with the headers plain Koa sends',
    async (path) => {
      const plain = await listen(new Koa().use(handler))
      const cached = await listen(new Koa().use(koaCache(cacheFor())).use(handler))
      const expected = await plain.send(path)
      const miss = await cached.send(path)
      const hit = await cached.send(path)
      expect([miss.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT'])
      for (const reply of [miss, hit]) {
        expect(reply.status).toBe(expected.status)
        expect(reply.body.equals(expected.body)).toBe(true)
        expect(reply.headers['content-type']).toBe(expected.headers['content-type'])
        expect(reply.headers['x-custom']).toBe(expected.headers['x-custom'])
      }
      // A stream goes out chunked from plain Koa; the cache sends its bytes with their length.
      const length = expected.headers['content-length'] ?? (expected.body.byteLength || undefined)
      expect(miss.headers['content-length']).toBe(length === undefined ? undefined : String(length))
      expect(contentHeaders(hit.headers)).toEqual(contentHeaders(miss.headers))
    },
  )
})

describe('koa cache | compression', () => {
  const text = 'compress me, please. '.repeat(300)
  const app = (compressFirst: boolean, runs: { count: number }) => {
    const koa = new Koa()
    const cache = koaCache(cacheFor())
    const count: Middleware = async (ctx, next) => {
      runs.count++
      ctx.type = 'text/plain'
      ctx.body = text
      await next()
    }
    return compressFirst
      ? koa.use(compress()).use(cache).use(count)
      : koa.use(cache).use(compress()).use(count)
  }

  it.each([
    ['before', true, 1],
    ['after', false, 2],
  ])(
    'with koa-compress %s the cache, gzip and identity clients both decode the body',
    async (_, compressFirst, expectedRuns) => {
      const runs = { count: 0 }
      const { send, url } = await listen(app(compressFirst, runs))
      const gzip = { headers: { 'accept-encoding': 'gzip' } }
      for (let round = 0; round < 2; round++) {
        const zipped = await send('/c', gzip)
        expect(zipped.headers['content-encoding']).toBe('gzip')
        expect(gunzipSync(zipped.body).toString()).toBe(text)
        const identity = await send('/c')
        expect(identity.headers['content-encoding']).toBeUndefined()
        expect(identity.text).toBe(text)
        if (round === 1) expect(identity.headers['x-cache']).toBe('HIT')
      }
      // Compressing before the cache keeps one identity copy; after it, one copy per encoding.
      expect(runs.count).toBe(expectedRuns)
      // A client that decodes for itself (fetch asks for gzip, deflate, br).
      expect(await (await fetch(`${url}/c`)).text()).toBe(text)
    },
  )
})
