import Koa, { type Middleware } from 'koa'
import { describe, expect, it } from 'vitest'
import { listen, redisCaches, sleep } from '../test/serve.js'
import { type KoaCacheOptions, koaCache } from './index.js'

const cacheFor = redisCaches('koa')

/** A Koa app: `before` middleware, then the cache, then `handler`, which counts its runs. */
async function serve(
  handler: (ctx: Koa.Context, run: number) => unknown,
  options: KoaCacheOptions = {},
  before: Middleware[] = [],
) {
  const app = new Koa()
  for (const middleware of before) app.use(middleware)
  const cache = cacheFor()
  app.use(koaCache(cache, options))
  const runs = { count: 0 }
  app.use(async (ctx) => {
    await handler(ctx, ++runs.count)
  })
  /**
   * Resolves once `n` requests have joined the one that runs the handler (or 5 s passed): a
   * handler that waits for it knows its concurrent callers are waiting for its answer.
   */
  const joined = async (n: number) => {
    const deadline = Date.now() + 5000
    while (cache.stats().coalesced < n && Date.now() < deadline) await sleep(10)
  }
  return { ...(await listen(app)), runs, joined }
}

describe('koa cache | protection', () => {
  it('runs a 200 ms handler once for 100 concurrent cold GETs and gives all the same body', async () => {
    const { send, runs, joined } = await serve(async (ctx, run) => {
      // 200 ms of work, started once the other 99 wait for it (a loaded machine connects slowly).
      await joined(99)
      await sleep(200)
      ctx.body = `slow answer ${run}`
    })
    const replies = await Promise.all(Array.from({ length: 100 }, () => send('/hot')))
    expect(runs.count).toBe(1)
    expect(new Set(replies.map((r) => `${r.status} ${r.text}`))).toEqual(
      new Set(['200 slow answer 1']),
    )
    // The one that ran is the MISS; the 99 that waited were answered with what it stored.
    expect(replies.filter((r) => r.headers['x-cache'] === 'MISS')).toHaveLength(1)
    const again = await send('/hot')
    expect(again.headers['x-cache']).toBe('HIT')
    expect(again.text).toBe('slow answer 1')
  })

  it('stores nothing from a handler that throws, and its waiters get the error, not an empty 200', async () => {
    const { send, runs, joined } = await serve(async (ctx, run) => {
      if (run === 1) await joined(4)
      if (run === 1) throw new Error('database down')
      ctx.body = 'recovered'
    })
    const replies = await Promise.all(Array.from({ length: 5 }, () => send('/throws')))
    expect(runs.count).toBe(1)
    for (const reply of replies)
      expect([reply.status, reply.text]).toEqual([500, 'Internal Server Error'])
    const next = await send('/throws')
    expect([next.status, next.text, next.headers['x-cache']]).toEqual([200, 'recovered', 'MISS'])
  })

  it('stores nothing from a handler that answers 500, and shares that 500 with its waiters', async () => {
    const { send, runs, joined } = await serve(async (ctx, run) => {
      if (run === 1) await joined(4)
      ctx.status = run === 1 ? 500 : 200
      ctx.body = `run ${run}`
    })
    const replies = await Promise.all(Array.from({ length: 5 }, () => send('/fails')))
    expect(runs.count).toBe(1)
    for (const reply of replies) expect([reply.status, reply.text]).toEqual([500, 'run 1'])
    expect((await send('/fails')).text).toBe('run 2')
    expect((await send('/fails')).headers['x-cache']).toBe('HIT')
  })

  it('answers 504 after handlerTimeout for a handler that never answers, and the URL works afterwards', async () => {
    const { send } = await serve(
      async (ctx, run) => {
        if (run === 1) await new Promise(() => {})
        ctx.body = `run ${run}`
      },
      // 1 s: long enough that the second request has joined the first before it times out.
      { handlerTimeout: 1000 },
    )
    const started = Date.now()
    const [first, waiter] = await Promise.all([send('/stuck'), send('/stuck')])
    expect([first.status, waiter.status]).toEqual([504, 504])
    expect(first.body.byteLength).toBe(0)
    // Catches a hang, not a slow machine: the 504s show the timeout answered them.
    expect(Date.now() - started).toBeLessThan(6000)
    const after = await send('/stuck')
    expect([after.status, after.text]).toEqual([200, 'run 2'])
  })
})

describe('koa cache | RFC 9111', () => {
  it("hides the client's validators from the handler: a waiter without them gets the body", async () => {
    const seenUpstream: Array<string | undefined> = []
    const upstream: Middleware = async (ctx, next) => {
      await next()
      seenUpstream.push(ctx.get('If-None-Match') || undefined)
    }
    const { send, runs, joined } = await serve(
      async (ctx, run) => {
        await joined(1)
        ctx.set('ETag', '"v1"')
        ctx.body = `body ${run}`
        // What koa-conditional-get does after the handler: a 304 to this client's validators.
        if (ctx.fresh) ctx.status = 304
      },
      {},
      [upstream],
    )
    // The conditional request runs the handler; the plain one joins it.
    const conditional = send('/etag', { headers: { 'If-None-Match': '"v1"' } })
    const deadline = Date.now() + 5000
    while (runs.count === 0 && Date.now() < deadline) await sleep(10)
    const plain = await send('/etag')
    expect([plain.status, plain.text]).toEqual([200, 'body 1'])
    // The one that ran gets the full answer (always a valid answer to a conditional GET)...
    const answered = await conditional
    expect([answered.status, answered.text]).toEqual([200, 'body 1'])
    expect(runs.count).toBe(1)
    const again = await send('/etag')
    expect([again.status, again.text, again.headers['x-cache']]).toEqual([200, 'body 1', 'HIT'])
    // ...and from the stored response the cache answers the validators itself.
    const revalidated = await send('/etag', { headers: { 'If-None-Match': '"v1"' } })
    expect([revalidated.status, revalidated.body.byteLength]).toEqual([304, 0])
    expect(revalidated.headers.etag).toBe('"v1"')
    expect(runs.count).toBe(1)
    // Once answered, the upstream sees each request as it came, validators included.
    expect(seenUpstream.sort()).toEqual(['"v1"', '"v1"', undefined, undefined])
  })

  it.each(['no-store', 'private, max-age=60', 's-maxage=0'])(
    'does not store `Cache-Control: %s`, and sends it unchanged',
    async (cacheControl) => {
      const { send, runs } = await serve((ctx, run) => {
        ctx.set('Cache-Control', cacheControl)
        ctx.body = `run ${run}`
      })
      const first = await send('/cc')
      const second = await send('/cc')
      expect(runs.count).toBe(2)
      expect(second.text).toBe('run 2')
      for (const reply of [first, second]) {
        expect(reply.headers['cache-control']).toBe(cacheControl)
        expect(reply.headers['x-cache']).not.toBe('HIT')
      }
    },
  )

  it('never sends a Set-Cookie (ctx.cookies.set) to a second client, even with the jar opened upstream', async () => {
    const readsCookies: Middleware = async (ctx, next) => {
      ctx.state.seen = ctx.cookies.get('session') ?? null
      await next()
    }
    const { send, runs } = await serve(
      async (ctx, run) => {
        await sleep(100)
        ctx.cookies.set('session', `secret-${run}`)
        ctx.body = 'hello'
      },
      {},
      [readsCookies],
    )
    const replies = await Promise.all(Array.from({ length: 4 }, () => send('/cookie')))
    const cookies = replies.map((r) => r.headers['set-cookie']?.[0]?.split(';')[0])
    // Each client ran its own handler and got its own cookie; none got another's.
    expect(new Set(cookies).size).toBe(4)
    expect(runs.count).toBe(4)
    const later = await send('/cookie')
    expect(later.headers['set-cookie']?.[0]).toMatch(/^session=secret-5;/)
  })

  it('bypasses the cache for a request with Authorization', async () => {
    const { send, runs } = await serve((ctx, run) => {
      ctx.body = `run ${run} for ${ctx.get('Authorization') || 'anyone'}`
    })
    expect((await send('/me')).text).toBe('run 1 for anyone')
    const authorized = await send('/me', { headers: { authorization: 'Bearer a' } })
    expect([authorized.text, authorized.headers['x-cache']]).toEqual([
      'run 2 for Bearer a',
      'BYPASS',
    ])
    expect((await send('/me')).headers['x-cache']).toBe('HIT')
    expect(runs.count).toBe(2)
  })

  it('keys `Vary: Accept-Language` per language', async () => {
    const { send, runs } = await serve((ctx) => {
      ctx.vary('Accept-Language')
      ctx.body = ctx.acceptsLanguages('fr', 'en') === 'fr' ? 'bonjour' : 'hello'
    })
    const ask = (language: string) => send('/greet', { headers: { 'accept-language': language } })
    expect((await ask('en')).text).toBe('hello')
    expect((await ask('fr')).text).toBe('bonjour')
    const [en, fr] = [await ask('en'), await ask('fr')]
    expect([en.text, en.headers['x-cache'], en.headers.vary]).toEqual([
      'hello',
      'HIT',
      'Accept-Language',
    ])
    expect([fr.text, fr.headers['x-cache']]).toEqual(['bonjour', 'HIT'])
    expect(runs.count).toBe(2)
  })

  it('answers `Vary: , *` (a list with an empty element) with the response, not a 500', async () => {
    const { send, runs } = await serve((ctx) => {
      ctx.set('Vary', ', *')
      ctx.body = 'varies on everything'
    })
    const first = await send('/star')
    expect([first.status, first.text]).toEqual([200, 'varies on everything'])
    expect(first.headers.vary).toContain('*')
    // `Vary: *` is never stored: the next request runs the handler again.
    expect((await send('/star')).status).toBe(200)
    expect(runs.count).toBe(2)
  })

  it('revalidates a stale response with its ETag: the 304 the handler answers (ctx.fresh) freshens it', async () => {
    const seen: Array<string | undefined> = []
    const { send, runs } = await serve((ctx) => {
      seen.push(ctx.get('If-None-Match') || undefined)
      ctx.set('Cache-Control', 'max-age=1')
      ctx.set('ETag', '"v1"')
      if (ctx.fresh) {
        ctx.status = 304
        return
      }
      ctx.body = 'content v1'
    })
    await send('/doc', { headers: { 'if-none-match': '"client"' } })
    await sleep(1100)
    const revalidated = await send('/doc')
    expect([revalidated.status, revalidated.text]).toEqual([200, 'content v1'])
    expect(seen).toEqual([undefined, '"v1"'])
    const after = await send('/doc')
    expect([after.headers['x-cache'], after.text]).toEqual(['HIT', 'content v1'])
    expect(runs.count).toBe(2)
  })

  it('gives the full GET body after a HEAD, and answers a later HEAD from the stored GET', async () => {
    const body = 'x'.repeat(3000)
    const { send, runs } = await serve((ctx) => {
      ctx.type = 'text/plain'
      ctx.body = body
    })
    const head = await send('/page', { method: 'HEAD' })
    expect([head.status, head.body.byteLength, head.headers['content-length']]).toEqual([
      200,
      0,
      '3000',
    ])
    const get = await send('/page')
    expect([get.text, get.headers['content-length'], get.headers['x-cache']]).toEqual([
      body,
      '3000',
      'MISS',
    ])
    const again = await send('/page', { method: 'HEAD' })
    expect([again.headers['x-cache'], again.headers['content-length']]).toEqual(['HIT', '3000'])
    expect(again.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(again.body.byteLength).toBe(0)
    expect((await send('/page')).text).toBe(body)
    expect(runs.count).toBe(2)
  })

  it('drops the cached GET when a POST to the same URL succeeds', async () => {
    let version = 1
    const { send } = await serve((ctx) => {
      if (ctx.method === 'POST') version++
      ctx.body = `version ${version}`
    })
    await send('/item?id=1')
    expect((await send('/item?id=1')).headers['x-cache']).toBe('HIT')
    expect((await send('/item?id=1', { method: 'POST' })).text).toBe('version 2')
    const after = await send('/item?id=1')
    expect([after.text, after.headers['x-cache']]).toEqual(['version 2', 'MISS'])
  })

  it('bypasses the cache for a Range request', async () => {
    const { send, runs } = await serve((ctx) => {
      ctx.body = 'abcdefgh'
    })
    await send('/file')
    const ranged = await send('/file', { headers: { range: 'bytes=0-3' } })
    expect(ranged.headers['x-cache']).toBe('BYPASS')
    expect(runs.count).toBe(2)
  })

  it('answers a matching If-None-Match with 304, ETag and Cache-Control, and no body', async () => {
    const { send } = await serve((ctx) => {
      ctx.set('ETag', '"v1"')
      ctx.set('Cache-Control', 'public, max-age=60')
      ctx.body = { id: 1 }
    })
    await send('/etag')
    const reply = await send('/etag', { headers: { 'if-none-match': 'W/"v1"' } })
    expect(reply.status).toBe(304)
    expect(reply.headers.etag).toBe('"v1"')
    expect(reply.headers['cache-control']).toBe('public, max-age=60')
    expect(reply.body.byteLength).toBe(0)
    expect(reply.headers['content-type']).toBeUndefined()
  })

  it('sends a growing Age and never rewrites max-age', async () => {
    const { send } = await serve((ctx) => {
      ctx.set('Cache-Control', 'public, max-age=60')
      ctx.body = 'aged'
    })
    const first = await send('/aged')
    expect(first.headers.age).toBeUndefined()
    await sleep(1100)
    const later = await send('/aged')
    expect(later.headers['x-cache']).toBe('HIT')
    expect(Number(later.headers.age)).toBeGreaterThanOrEqual(1)
    expect(later.headers['cache-control']).toBe('public, max-age=60')
  })
})
