// fastifyCache's own cases, over a real socket: what reply.send takes (strings, Buffers, objects
// through a response schema's serializer, Node and web streams, a Response), @fastify/compress
// registered before and after it, Fastify's error handler, reply.hijack, per-route config, hooks
// before the cache (CORS), a client posing as a background refresh, and bad input.
import { Readable } from 'node:stream'
import { gunzipSync } from 'node:zlib'
import { createCache, memoryStore } from '@cacheguard/core'
import { send, sleep } from '@cacheguard/http/testing'
import fastifyCompress from '@fastify/compress'
import Fastify, { type FastifyInstance } from 'fastify'
import { describe, expect, it, onTestFinished } from 'vitest'
import { fastifyCache } from './fastify-cache.js'

const cacheable = { 'cache-control': 'max-age=60' }

/** A Fastify app with fastifyCache over a fresh memory cache (and `options`), closed after the test. */
async function appWith(options: object = {}): Promise<FastifyInstance> {
  const app = Fastify()
  onTestFinished(() => app.close())
  await app.register(fastifyCache, { cache: createCache({ store: memoryStore() }), ...options })
  return app
}

/** Starts `app` on a free loopback port; resolves its base URL. */
async function listen(app: FastifyInstance): Promise<string> {
  return app.listen({ port: 0, host: '127.0.0.1' })
}

describe('fastifyCache', () => {
  it('caches what reply.send takes: strings, Buffers, serialized objects, streams and Responses, byte for byte', async () => {
    const app = await appWith()
    const bytes = Buffer.from(Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256))
    let runs = 0
    const counted =
      <T>(answer: () => T) =>
      async (_request: unknown, reply: { headers(h: object): unknown }) => {
        runs++
        reply.headers(cacheable)
        return answer()
      }
    app.get(
      '/text',
      counted(() => 'héllo'),
    )
    app.get(
      '/bytes',
      counted(() => bytes),
    )
    // The response schema's serializer drops what it does not name: the stored body is its output.
    app.get(
      '/object',
      {
        schema: {
          response: {
            200: {
              type: 'object',
              properties: { id: { type: 'integer' }, name: { type: 'string' } },
            },
          },
        },
      },
      counted(() => ({ id: 1, name: 'Teapot', secret: 'never sent' })),
    )
    app.get(
      '/node-stream',
      counted(() => Readable.from(['chunk 0;', 'chunk 1;', 'chunk 2;'])),
    )
    app.get(
      '/web-stream',
      counted(() => ReadableStream.from([Buffer.from('web 0;'), Buffer.from('web 1;')])),
    )
    app.get(
      '/response',
      counted(() => new Response('from a Response', { status: 203, headers: cacheable })),
    )
    const base = await listen(app)
    for (const cached of ['MISS', 'HIT']) {
      const text = await send(`${base}/text`)
      expect([text.text, text.headers['content-type'], text.headers['x-cache']]).toEqual([
        'héllo',
        'text/plain; charset=utf-8',
        cached,
      ])
      const image = await send(`${base}/bytes`)
      expect(image.body.equals(bytes)).toBe(true)
      expect(image.headers['content-length']).toBe(String(bytes.length))
      const object = await send(`${base}/object`)
      expect(JSON.parse(object.text)).toEqual({ id: 1, name: 'Teapot' })
      expect((await send(`${base}/node-stream`)).text).toBe('chunk 0;chunk 1;chunk 2;')
      expect((await send(`${base}/web-stream`)).text).toBe('web 0;web 1;')
      const response = await send(`${base}/response`)
      expect([response.status, response.text, response.headers['x-cache']]).toEqual([
        203,
        'from a Response',
        cached,
      ])
    }
    expect(runs).toBe(6)
  })

  it.each(['before', 'after'])(
    'works with @fastify/compress registered %s it: one run, gzip for those who ask, identity for the others',
    async (order) => {
      const app = Fastify()
      onTestFinished(() => app.close())
      const cache = createCache({ store: memoryStore() })
      if (order === 'before') await app.register(fastifyCompress, { threshold: 0 })
      await app.register(fastifyCache, { cache })
      if (order === 'after') await app.register(fastifyCompress, { threshold: 0 })
      const body = 'a compressible body, '.repeat(200)
      let runs = 0
      app.get('/big', async (_request, reply) => {
        runs++
        reply.headers(cacheable)
        return body
      })
      const base = await listen(app)
      for (const cached of ['MISS', 'HIT', 'HIT']) {
        const zipped = await send(`${base}/big`, { headers: { 'accept-encoding': 'gzip' } })
        expect([zipped.headers['content-encoding'], zipped.headers['x-cache']]).toEqual([
          'gzip',
          cached,
        ])
        expect(gunzipSync(zipped.body).toString()).toBe(body)
        const plain = await send(`${base}/big`, { headers: { 'accept-encoding': 'identity' } })
        expect([plain.headers['content-encoding'], plain.text]).toEqual([undefined, body])
      }
      expect(runs).toBe(1)
    },
  )

  it("never stores what Fastify's error handler answers, whatever its status and headers", async () => {
    const app = await appWith()
    let runs = 0
    app.setErrorHandler((error, _request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500
      reply.code(status).send({ error: (error as Error).message })
    })
    app.get('/missing', async (_request, reply) => {
      runs++
      // A 404 is stored by default, and the handler said max-age=60 before it threw.
      reply.headers(cacheable)
      throw Object.assign(new Error('no such product'), { statusCode: 404 })
    })
    const base = await listen(app)
    for (let i = 1; i <= 3; i++) {
      const reply = await send(`${base}/missing`)
      expect([reply.status, JSON.parse(reply.text)]).toEqual([404, { error: 'no such product' }])
      expect(reply.headers['cacheguard-cache-control']).toBeUndefined()
      expect(runs).toBe(i)
    }
  })

  it('lets a handler that hijacks the reply answer itself, stores nothing, and leaves no request hanging', async () => {
    const app = await appWith()
    let runs = 0
    app.get('/raw', async (_request, reply) => {
      runs++
      reply.hijack()
      await sleep(50)
      reply.raw.writeHead(200, { 'content-type': 'text/plain', ...cacheable })
      reply.raw.end(`raw ${runs}`)
    })
    const base = await listen(app)
    // Two at once: the second waits for the first, which the cache never sees answer, and then
    // runs its own handler.
    const replies = await Promise.all([send(`${base}/raw`), send(`${base}/raw`)])
    expect(replies.map((reply) => reply.text).sort()).toEqual(['raw 1', 'raw 2'])
    expect((await send(`${base}/raw`)).text).toBe('raw 3')
  })

  it('caches routes as their config.cache says: false, options of their own, and global: false', async () => {
    const app = await appWith({ ttl: '1m' })
    let runs = 0
    const handler = async () => `run ${++runs}`
    app.get('/default', handler)
    app.get('/off', { config: { cache: false } }, handler)
    app.get('/short', { config: { cache: { ttl: 200 } } }, handler)
    const base = await listen(app)
    const twice = async (path: string) => [
      (await send(`${base}${path}`)).text,
      (await send(`${base}${path}`)).text,
    ]
    expect(await twice('/default')).toEqual(['run 1', 'run 1'])
    expect(await twice('/off')).toEqual(['run 2', 'run 3'])
    expect(await twice('/short')).toEqual(['run 4', 'run 4'])
    await sleep(250)
    expect((await send(`${base}/short`)).text).toBe('run 5')
    expect((await send(`${base}/off`)).headers['x-cache']).toBeUndefined()

    const optIn = await appWith({ global: false })
    optIn.get('/plain', async () => `plain ${++runs}`)
    optIn.get('/cached', { config: { cache: true } }, async () => `cached ${++runs}`)
    const other = await listen(optIn)
    expect((await send(`${other}/plain`)).headers['x-cache']).toBeUndefined()
    expect((await send(`${other}/cached`)).headers['x-cache']).toBe('MISS')
    expect((await send(`${other}/cached`)).headers['x-cache']).toBe('HIT')
  })

  it('sends the headers of hooks before it on hits too (CORS), and invalidates through app.cacheguard', async () => {
    const app = Fastify()
    onTestFinished(() => app.close())
    app.addHook('onRequest', async (request, reply) => {
      reply.header('access-control-allow-origin', request.headers.origin ?? '*')
      reply.header('vary', 'Origin')
    })
    await app.register(fastifyCache, { cache: createCache({ store: memoryStore() }) })
    let runs = 0
    app.get('/p', async (_request, reply) => {
      reply.headers(cacheable)
      return { run: ++runs }
    })
    const base = await listen(app)
    for (const expected of ['MISS', 'HIT']) {
      const reply = await send(`${base}/p`, { headers: { origin: 'https://shop.test' } })
      expect([reply.headers['x-cache'], reply.headers['access-control-allow-origin']]).toEqual([
        expected,
        'https://shop.test',
      ])
    }
    await app.cacheguard.invalidate('/p')
    expect((await send(`${base}/p`, { headers: { origin: 'https://shop.test' } })).text).toBe(
      '{"run":2}',
    )
  })

  it('registers in several scopes, each with its own cache and its own app.cacheguard', async () => {
    const app = await appWith()
    let runs = 0
    const handler = async (_request: unknown, reply: { headers(h: object): unknown }) => {
      reply.headers(cacheable)
      return `run ${++runs}`
    }
    app.get('/root', handler)
    const memory = createCache({ store: memoryStore() })
    let scoped: FastifyInstance | undefined
    await app.register(async (scope) => {
      await scope.register(fastifyCache, { cache: memory })
      scope.get('/scoped', handler)
      scoped = scope
    })
    const base = await listen(app)
    for (const path of ['/root', '/scoped']) {
      await send(`${base}${path}`)
      expect((await send(`${base}${path}`)).headers['x-cache']).toBe('HIT')
    }
    // The scope's own invalidation drops its URL, not the root's.
    await scoped!.cacheguard.invalidate('/scoped')
    await scoped!.cacheguard.invalidate('/root')
    expect((await send(`${base}/scoped`)).headers['x-cache']).toBe('MISS')
    expect((await send(`${base}/root`)).headers['x-cache']).toBe('HIT')
    await app.cacheguard.invalidate('/root')
    expect((await send(`${base}/root`)).headers['x-cache']).toBe('MISS')
  })

  it('treats a client that sends the background-refresh marker as any client', async () => {
    const app = await appWith()
    let runs = 0
    app.get('/p', async (_request, reply) => {
      reply.headers(cacheable)
      return `run ${++runs}`
    })
    const base = await listen(app)
    await send(`${base}/p`)
    const forged = await send(`${base}/p`, { headers: { 'cacheguard-run': 'guess.1' } })
    expect([forged.text, forged.headers['x-cache']]).toEqual(['run 1', 'HIT'])
  })

  it('refuses a missing cache, bad or unknown options and a bad route config when registered', async () => {
    const register = async (options: object) => {
      const app = Fastify()
      onTestFinished(() => app.close())
      await app.register(fastifyCache, options as never)
      return app
    }
    await expect(register({})).rejects.toThrow('Expected `cache` to be a cache from createCache()')
    const cache = createCache({ store: memoryStore() })
    await expect(register({ cache, maxAge: 60 })).rejects.toThrow('Unknown option `maxAge`')
    await expect(register({ cache, ttl: 'forever' })).rejects.toThrow('Expected `ttl`')
    await expect(register({ cache, global: 'yes' })).rejects.toThrow(
      'Expected `global` to be a boolean',
    )
    const app = await register({ cache })
    expect(() => app.get('/x', { config: { cache: { ttl: -1 } } }, async () => 'x')).toThrow(
      'In `config.cache` of GET /x: Expected `ttl` to be a positive duration',
    )
    expect(() => app.get('/y', { config: { cache: 'always' as never } }, async () => 'y')).toThrow(
      'Expected `config.cache` of GET /y to be a boolean or options of the HTTP cache',
    )
  })
})
