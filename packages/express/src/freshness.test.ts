// The conformance failures issue 14 reported, over Express + expressCache on Redis, driven over
// real sockets: each test is named after what was wrong.
import type { CacheOptions } from '@cacheguard/core'
import { describe, expect, it } from 'vitest'
import { cachedApps } from '../test/app.js'
import { listen, send, sleep } from '../test/server.js'
import type { ExpressCacheOptions } from './index.js'

const { cachedApp } = cachedApps('express-freshness')

/** An app with one cached route, `/r`, answering `body <n>` with what `headers(n)` gives. */
async function route(
  headers: (run: number) => Record<string, string>,
  options: ExpressCacheOptions = {},
  cacheOptions: CacheOptions = {},
  status = 200,
) {
  const app = cachedApp(options, cacheOptions)
  const counter = { runs: 0, url: '' }
  app.get('/r', (_req, res) => {
    const n = ++counter.runs
    res.status(status).set(headers(n)).send(`body ${n}`)
  })
  counter.url = `${await listen(app)}/r`
  return counter
}

const httpDate = (ms: number) => new Date(ms).toUTCString()

describe('express cache | Expires (RFC 9111 §4.2.1, §5.3)', () => {
  it.each([
    ['in the past', () => httpDate(Date.now() - 60_000)],
    ['equal to Date', () => 'same'],
    ['0', () => '0'],
    ['not a date', () => 'tomorrow'],
    ['a year alone, which Date.parse would read as a date to come', () => '2099'],
  ])('was ignored: a response whose Expires is %s is not reused', async (_, expires) => {
    const now = httpDate(Date.now())
    const r = await route(() => {
      const value = expires()
      return { Date: now, Expires: value === 'same' ? now : value }
    })
    await send(r.url)
    const second = await send(r.url)
    expect(second.body.toString()).toBe('body 2')
    expect(r.runs).toBe(2)
  })

  it('was ignored: a future Expires without max-age keeps the response fresh until then', async () => {
    const r = await route(() => ({ Expires: httpDate(Date.now() + 3_600_000) }), { ttl: false })
    await send(r.url)
    const second = await send(r.url)
    expect([second.body.toString(), second.headers['x-cache']]).toEqual(['body 1', 'HIT'])
  })

  it('max-age wins over Expires', async () => {
    const r = await route(() => ({
      'Cache-Control': 'max-age=3600',
      Expires: httpDate(Date.now() - 60_000),
    }))
    await send(r.url)
    expect((await send(r.url)).headers['x-cache']).toBe('HIT')
  })
})

describe('express cache | Age (RFC 9111 §4.2.3)', () => {
  it('was ignored: max-age=3600 with Age: 7200 is not reused', async () => {
    const r = await route(() => ({ 'Cache-Control': 'max-age=3600', Age: '7200' }))
    await send(r.url)
    expect((await send(r.url)).body.toString()).toBe('body 2')
    expect(r.runs).toBe(2)
  })

  it('was replaced on a hit: the upstream Age is added to the time stored', async () => {
    const r = await route(() => ({ 'Cache-Control': 'max-age=3600', Age: '100' }))
    await send(r.url)
    await sleep(1100)
    const hit = await send(r.url)
    expect(hit.headers['x-cache']).toBe('HIT')
    expect(Number(hit.headers.age)).toBeGreaterThanOrEqual(101)
    expect(Number(hit.headers.age)).toBeLessThan(110)
  })
})

describe('express cache | invalid max-age (RFC 9111 §4.2.1)', () => {
  it.each([
    ['negative', 'max-age=-1'],
    ['quoted', 'max-age="3600"'],
    ['not a number', 'max-age=soon'],
  ])('fell back to the default ttl: a %s max-age means stale, not reused', async (_, cc) => {
    const r = await route(() => ({ 'Cache-Control': cc }))
    await send(r.url)
    expect((await send(r.url)).body.toString()).toBe('body 2')
  })
})

describe('express cache | jitter (RFC 9111 §4.2.4)', () => {
  it('served STALE just past max-age with no stale directive: every URL is fetched again', async () => {
    // A cache jittered ±50%: before, about 4 in 10 responses stayed "fresh" in the core past
    // their max-age and were answered STALE, with no refetch.
    const app = cachedApp({}, { jitter: 0.5 })
    let runs = 0
    app.get('/j/:n', (req, res) => {
      runs++
      res.set('Cache-Control', 'max-age=1').send(`${req.params.n} run ${runs}`)
    })
    const base = await listen(app)
    const urls = Array.from({ length: 12 }, (_, n) => `${base}/j/${n}`)
    for (const url of urls) await send(url)
    await sleep(1200)
    const after = await Promise.all(urls.map((url) => send(url)))
    expect(after.map((reply) => reply.headers['x-cache'])).toEqual(urls.map(() => 'MISS'))
    expect(runs).toBe(24)
  })
})

describe('express cache | ttl: false', () => {
  it('reuses nothing that carries no freshness information', async () => {
    const r = await route(() => ({}), { ttl: false })
    await send(r.url)
    expect((await send(r.url)).body.toString()).toBe('body 2')
    const notFound = await route(() => ({}), { ttl: false }, {}, 404)
    await send(notFound.url)
    await send(notFound.url)
    expect(notFound.runs).toBe(2)
  })

  it('still reuses a response that states its lifetime', async () => {
    const r = await route(() => ({ 'Cache-Control': 'max-age=60' }), { ttl: false })
    await send(r.url)
    expect((await send(r.url)).headers['x-cache']).toBe('HIT')
  })
})

describe('express cache | storable statuses (RFC 9111 §3)', () => {
  it.each([302, 307, 400, 500])(
    'did not store a %i with explicit freshness: it is reused within max-age',
    async (status) => {
      const r = await route(
        () => ({ 'Cache-Control': 'max-age=60', Location: '/elsewhere' }),
        {},
        {},
        status,
      )
      const first = await send(r.url)
      const second = await send(r.url)
      expect([first.status, second.status]).toEqual([status, status])
      expect(second.headers['x-cache']).toBe('HIT')
      expect(r.runs).toBe(1)
    },
  )

  it('still stores a 302 without freshness information for no one', async () => {
    const r = await route(() => ({ Location: '/elsewhere' }), {}, {}, 302)
    await send(r.url)
    await send(r.url)
    expect(r.runs).toBe(2)
  })
})

describe('express cache | must-understand (RFC 9111 §5.2.2.3)', () => {
  it('stores a 200 with must-understand, no-store: this cache knows what a 200 means', async () => {
    const r = await route(() => ({ 'Cache-Control': 'must-understand, no-store, max-age=60' }))
    await send(r.url)
    expect((await send(r.url)).headers['x-cache']).toBe('HIT')
  })

  it('does not store a status it does not know (299), with must-understand, even with max-age', async () => {
    const r = await route(() => ({ 'Cache-Control': 'must-understand, max-age=60' }), {}, {}, 299)
    await send(r.url)
    await send(r.url)
    expect(r.runs).toBe(2)
  })
})

describe('express cache | invalidation (RFC 9111 §4.4)', () => {
  it('only POST, PUT, PATCH and DELETE invalidated: M-SEARCH, an unknown unsafe method, does too', async () => {
    const app = cachedApp()
    let version = 1
    app.get('/item', (_req, res) => {
      res.send(`version ${version}`)
    })
    app.all('/item', (req, res) => {
      if (req.method === 'M-SEARCH') version++
      res.send('ok')
    })
    const url = `${await listen(app)}/item`
    await send(url)
    expect((await send(url)).headers['x-cache']).toBe('HIT')
    expect((await send(url, { method: 'M-SEARCH' })).status).toBe(200)
    const after = await send(url)
    expect([after.body.toString(), after.headers['x-cache']]).toEqual(['version 2', 'MISS'])
  })

  it('leaves a cached GET alone after OPTIONS, a safe method', async () => {
    const r = await route(() => ({ 'Cache-Control': 'max-age=60' }))
    await send(r.url)
    await send(r.url, { method: 'OPTIONS' })
    expect((await send(r.url)).headers['x-cache']).toBe('HIT')
  })

  it('drops the URLs of Location and Content-Location on the same origin, not on another', async () => {
    const app = cachedApp()
    const versions: Record<string, number> = { a: 1, b: 1, c: 1 }
    app.get('/things/:id', (req, res) => {
      res.set('Cache-Control', 'max-age=60').send(`${req.params.id} v${versions[req.params.id]}`)
    })
    app.post('/things', (req, res) => {
      for (const id of Object.keys(versions)) versions[id]!++
      res
        .status(201)
        .set('Location', '/things/a')
        .set('Content-Location', `http://${req.headers.host}/things/b`)
        .send('created')
    })
    app.post('/elsewhere', (_req, res) => {
      res.status(201).set('Location', 'http://other.example/things/c').send('created')
    })
    const base = await listen(app)
    for (const id of ['a', 'b', 'c']) await send(`${base}/things/${id}`)
    await send(`${base}/elsewhere`, { method: 'POST' })
    expect((await send(`${base}/things/c`)).headers['x-cache']).toBe('HIT')
    await send(`${base}/things`, { method: 'POST' })
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => send(`${base}/things/${id}`)))
    expect([a!.body.toString(), a!.headers['x-cache']]).toEqual(['a v2', 'MISS'])
    expect([b!.body.toString(), b!.headers['x-cache']]).toEqual(['b v2', 'MISS'])
    expect([c!.body.toString(), c!.headers['x-cache']]).toEqual(['c v1', 'HIT'])
  })
})

describe('express cache | cookies (issue 14: a page personalised by Cookie was served to other users)', () => {
  /** A route that greets the request's `user` cookie, with the given Cache-Control (none by default). */
  async function greeting(options: ExpressCacheOptions = {}, cacheControl?: string) {
    const app = cachedApp(options)
    const counter = { runs: 0, url: '' }
    app.get('/hello', (req, res) => {
      counter.runs++
      const user = /user=(\w+)/.exec(req.headers.cookie ?? '')?.[1] ?? 'stranger'
      if (cacheControl !== undefined) res.set('Cache-Control', cacheControl)
      res.send(`hello ${user}`)
    })
    counter.url = `${await listen(app)}/hello`
    return counter
  }
  const as = (user: string) => ({ headers: { cookie: `user=${user}; theme=dark` } })

  it('was served to other users: by default a request with Cookie neither reads nor fills the cache', async () => {
    const r = await greeting()
    expect((await send(r.url, as('ann'))).body.toString()).toBe('hello ann')
    const bob = await send(r.url, as('bob'))
    expect([bob.body.toString(), bob.headers['x-cache']]).toEqual(['hello bob', 'MISS'])
    // Requests without cookies share the cache as before.
    await send(r.url)
    expect((await send(r.url)).headers['x-cache']).toBe('HIT')
    expect((await send(r.url, as('cid'))).body.toString()).toBe('hello cid')
    expect(r.runs).toBe(4)
  })

  it('shares a response that says it may be shared (public), cookies or not', async () => {
    const r = await greeting({}, 'public, max-age=60')
    await send(r.url, as('ann'))
    const again = await send(r.url, as('bob'))
    expect([again.body.toString(), again.headers['x-cache']]).toEqual(['hello ann', 'HIT'])
  })

  it("keys by the named cookies with cookies: ['user'], ignoring the others", async () => {
    const r = await greeting({ cookies: ['user'] })
    await send(r.url, as('ann'))
    const ann = await send(r.url, { headers: { cookie: 'theme=light; user=ann' } })
    expect([ann.body.toString(), ann.headers['x-cache']]).toEqual(['hello ann', 'HIT'])
    const bob = await send(r.url, as('bob'))
    expect([bob.body.toString(), bob.headers['x-cache']]).toEqual(['hello bob', 'MISS'])
    expect(r.runs).toBe(2)
  })

  it("ignores cookies with cookies: 'ignore' (the route promises they change nothing)", async () => {
    const r = await greeting({ cookies: 'ignore' })
    await send(r.url, as('ann'))
    expect((await send(r.url, as('bob'))).headers['x-cache']).toBe('HIT')
    expect(r.runs).toBe(1)
  })

  it('refuses a cookies option that is none of these with a TypeError', () => {
    expect(() => cachedApp({ cookies: 'all' as never })).toThrow(
      "Expected `cookies` to be 'private'",
    )
    expect(() => cachedApp({ cookies: [] })).toThrow('a non-empty array of cookie names')
  })
})

describe("express cache | a client's If-Modified-Since (RFC 9110 §13.1.3, §13.2.2)", () => {
  it('got a full 200 from a stored response: it is answered 304 when nothing changed since', async () => {
    const modified = httpDate(Date.now() - 3_600_000)
    const r = await route(() => ({
      'Cache-Control': 'max-age=60',
      'Last-Modified': modified,
      ETag: '"v1"',
    }))
    await send(r.url)
    const since = (ms: number, extra: Record<string, string> = {}) =>
      send(r.url, { headers: { 'If-Modified-Since': httpDate(ms), ...extra } })
    const unchanged = await since(Date.now())
    expect([unchanged.status, unchanged.body.length, unchanged.headers['last-modified']]).toEqual([
      304,
      0,
      modified,
    ])
    expect((await since(Date.now() - 7_200_000)).status).toBe(200)
    // If-None-Match takes precedence: a tag that does not match means the full response.
    expect((await since(Date.now(), { 'If-None-Match': '"v0"' })).status).toBe(200)
    expect((await send(r.url, { headers: { 'If-Modified-Since': 'yesterday' } })).status).toBe(200)
    expect(r.runs).toBe(1)
  })
})

describe('express cache | targeted fields (RFC 9213)', () => {
  it('goes by CacheGuard-Cache-Control, which never leaves: downstream sees Cache-Control alone', async () => {
    const r = await route(() => ({
      'Cache-Control': 'max-age=0',
      'CacheGuard-Cache-Control': 'max-age=300',
      Expires: httpDate(Date.now() - 60_000),
    }))
    const first = await send(r.url)
    const second = await send(r.url)
    expect([second.headers['x-cache'], second.body.toString()]).toEqual(['HIT', 'body 1'])
    for (const reply of [first, second]) {
      expect(reply.headers['cache-control']).toBe('max-age=0')
      expect(reply.headers['cacheguard-cache-control']).toBeUndefined()
    }
  })

  it('goes by CDN-Cache-Control only with cdnCacheControl: true', async () => {
    const headers = () => ({ 'Cache-Control': 'no-store', 'CDN-Cache-Control': 'max-age=60' })
    const off = await route(headers)
    await send(off.url)
    await send(off.url)
    expect(off.runs).toBe(2)
    const on = await route(headers, { cdnCacheControl: true })
    await send(on.url)
    const hit = await send(on.url)
    expect([hit.headers['x-cache'], hit.headers['cdn-cache-control']]).toEqual([
      'HIT',
      'max-age=60',
    ])
    expect(() => cachedApp({ cdnCacheControl: 'yes' as never })).toThrow(
      'Expected `cdnCacheControl` to be a boolean',
    )
  })
})

describe('express cache | must-revalidate (RFC 9111 §5.2.2.2)', () => {
  it.each(['must-revalidate', 'proxy-revalidate'])(
    'never serves stale with %s, not even within stale-while-revalidate or stale-if-error',
    async (directive) => {
      const r = await route(
        (n) => ({
          'Cache-Control': `max-age=1, stale-while-revalidate=60, stale-if-error=60, ${directive}`,
          'X-Run': String(n),
        }),
        {},
        {},
      )
      await send(r.url)
      await sleep(1100)
      const after = await send(r.url)
      expect([after.headers['x-cache'], after.body.toString()]).toEqual(['MISS', 'body 2'])
    },
  )
})

describe('express cache | revalidation (RFC 9111 §4.3)', () => {
  /** A route whose content has the ETag `"v<version>"`; Express answers a matching If-None-Match 304. */
  async function versioned() {
    const app = cachedApp()
    const counter = { version: 1, seen: [] as Array<string | undefined>, url: '' }
    app.get('/doc', (req, res) => {
      counter.seen.push(req.headers['if-none-match'])
      res
        .set('Cache-Control', 'max-age=1')
        .set('ETag', `"v${counter.version}"`)
        // Express's res.send answers 304 by itself when If-None-Match matches the ETag: the body
        // of a conditional run is then never sent, and a client seeing it would mean a full fetch.
        .send(
          `content v${counter.version}${req.headers['if-none-match'] ? ' (conditional run)' : ''}`,
        )
    })
    counter.url = `${await listen(app)}/doc`
    return counter
  }

  it('fetched a stale response with a validator in full: the handler is asked If-None-Match, and its 304 freshens it', async () => {
    const r = await versioned()
    expect((await send(r.url)).body.toString()).toBe('content v1')
    await sleep(1100)
    const revalidated = await send(r.url)
    expect([revalidated.status, revalidated.body.toString()]).toEqual([200, 'content v1'])
    expect(r.seen).toEqual([undefined, '"v1"'])
    const after = await send(r.url)
    expect([after.headers['x-cache'], after.body.toString()]).toEqual(['HIT', 'content v1'])
    expect(r.seen).toHaveLength(2)
  })

  it('stores the new response when the handler answers 200 to the conditional request', async () => {
    const r = await versioned()
    await send(r.url)
    r.version = 2
    await sleep(1100)
    expect((await send(r.url)).body.toString()).toBe('content v2 (conditional run)')
    expect(r.seen).toEqual([undefined, '"v1"'])
    const after = await send(r.url)
    expect([after.headers['x-cache'], after.headers.etag]).toEqual(['HIT', '"v2"'])
  })

  it('never shows the handler the client’s own validators, only the cache’s', async () => {
    const r = await versioned()
    await send(r.url, { headers: { 'If-None-Match': '"client"' } })
    await sleep(1100)
    await send(r.url, { headers: { 'If-None-Match': '"client"' } })
    expect(r.seen).toEqual([undefined, '"v1"'])
  })

  it('fetches in full again with keep: false', async () => {
    const app = cachedApp({ keep: false })
    const seen: Array<string | undefined> = []
    app.get('/doc', (req, res) => {
      seen.push(req.headers['if-none-match'])
      res.set('Cache-Control', 'max-age=1').set('ETag', '"v1"').send('content v1')
    })
    const url = `${await listen(app)}/doc`
    await send(url)
    await sleep(1100)
    await send(url)
    expect(seen).toEqual([undefined, undefined])
  })
})

describe('express cache | no-cache (RFC 9111 §5.2.2.4)', () => {
  it('stores a no-cache response with a validator, and revalidates it before every reuse', async () => {
    const app = cachedApp()
    const seen: Array<string | undefined> = []
    app.get('/nc', (req, res) => {
      seen.push(req.headers['if-none-match'])
      res
        .set('Cache-Control', 'no-cache')
        .set('ETag', '"v1"')
        .send(`content${req.headers['if-none-match'] ? ' (conditional run)' : ''}`)
    })
    const url = `${await listen(app)}/nc`
    const replies = []
    for (let i = 0; i < 3; i++) {
      replies.push(await send(url))
      await sleep(5)
    }
    // Each request asked the handler; after the first, with the stored ETag, answered 304, and
    // the client got the stored body.
    expect(seen).toEqual([undefined, '"v1"', '"v1"'])
    expect(replies.map((reply) => [reply.status, reply.body.toString()])).toEqual([
      [200, 'content'],
      [200, 'content'],
      [200, 'content'],
    ])
  })

  it('does not store a no-cache response without a validator: it cannot be revalidated', async () => {
    const app = cachedApp()
    // Express adds a weak ETag of the body unless told not to: this response has no validator.
    app.set('etag', false)
    const seen: Array<string | undefined> = []
    app.get('/nv', (req, res) => {
      seen.push(req.headers['if-none-match'])
      res.set('Cache-Control', 'no-cache').send(`run ${seen.length}`)
    })
    const url = `${await listen(app)}/nv`
    await send(url)
    const second = await send(url)
    expect([second.body.toString(), second.headers.etag]).toEqual(['run 2', undefined])
    expect(seen).toEqual([undefined, undefined])
  })
})
