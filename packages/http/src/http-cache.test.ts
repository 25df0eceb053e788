import { createCache } from '@cacheguard/core'
import { lockGuard } from '@cacheguard/lock'
import { redisStore } from '@cacheguard/redis'
import { Redlock } from '@sesamecare-oss/redlock'
import { describe, expect, it } from 'vitest'
import { connectRedis, uniquePrefix, unreachableRedis } from '../../../test/helpers/redis.js'
import { type HttpCacheOptions, httpCache } from './index.js'
import type { HttpRequest, HttpResponse } from './types.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const text = (body: Uint8Array) => Buffer.from(body).toString('utf8')

/** A handler that counts its runs and answers what `respond` says for each request. */
/** What a test handler answers; every field optional. */
interface Answer {
  status?: number
  headers?: HttpResponse['headers']
  body?: string | Uint8Array
}

function handler(respond: (request: HttpRequest, n: number) => Answer, delayMs = 0) {
  const h = {
    runs: 0,
    for(request: HttpRequest) {
      return async (): Promise<HttpResponse> => {
        const n = ++h.runs
        if (delayMs > 0) await sleep(delayMs)
        const { status = 200, headers = {}, body = `body ${n}` } = respond(request, n)
        return { status, headers, body: typeof body === 'string' ? Buffer.from(body) : body }
      }
    },
  }
  return h
}

function setup(options: HttpCacheOptions = {}) {
  const http = httpCache(createCache({ jitter: 0 }), options)
  return {
    http,
    get: (url: string, headers: HttpRequest['headers'] = {}, method = 'GET') => ({
      method,
      url,
      headers,
    }),
  }
}

describe('http cache | single-flight and storage', () => {
  it('runs the handler once for 100 concurrent cold GETs and gives all the same body', async () => {
    const { http, get } = setup()
    const h = handler(() => ({ headers: { 'content-type': 'text/plain' } }), 100)
    const results = await Promise.all(
      Array.from({ length: 100 }, () => {
        const request = get('/hot')
        return http.handle(request, h.for(request))
      }),
    )
    expect(h.runs).toBe(1)
    expect(new Set(results.map((r) => text(r.response.body)))).toEqual(new Set(['body 1']))
    expect(results.filter((r) => r.ran)).toHaveLength(1)
    const again = await http.handle(get('/hot'), h.for(get('/hot')))
    expect(again.status).toBe('HIT')
    expect(again.response.headers['x-cache']).toBe('HIT')
    expect(again.response.headers['cache-status']).toBe('cacheguard; hit')
    expect(h.runs).toBe(1)
  })

  it('keys /Aa and /BB (a 32-bit hash collision) apart, and sorts query parameters', async () => {
    const { http, get } = setup()
    const h = handler((request) => ({ body: request.url }))
    for (const url of ['/Aa', '/BB', '/q?b=2&a=1']) await http.handle(get(url), h.for(get(url)))
    expect(text((await http.handle(get('/Aa'), h.for(get('/Aa')))).response.body)).toBe('/Aa')
    expect(text((await http.handle(get('/BB'), h.for(get('/BB')))).response.body)).toBe('/BB')
    const sorted = await http.handle(get('/q?a=1&b=2'), h.for(get('/q?a=1&b=2')))
    expect(sorted.status).toBe('HIT')
    expect(h.runs).toBe(3)
  })

  it('stores a binary body byte for byte', async () => {
    const { http, get } = setup()
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    const h = handler(() => ({
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    }))
    await http.handle(get('/bin'), h.for(get('/bin')))
    const hit = await http.handle(get('/bin'), h.for(get('/bin')))
    expect(hit.status).toBe('HIT')
    expect(Buffer.from(hit.response.body).equals(Buffer.from(bytes))).toBe(true)
  })
})

describe('http cache | what is not stored (RFC 9111)', () => {
  it.each([
    ['no-store', { 'cache-control': 'no-store' }],
    ['private', { 'cache-control': 'private, max-age=60' }],
    ['s-maxage=0', { 'cache-control': 'public, s-maxage=0, max-age=60' }],
    ['no-cache', { 'cache-control': 'no-cache' }],
    ['Vary: *', { vary: '*' }],
  ])('does not store %s, and passes its Cache-Control on unchanged', async (_, headers) => {
    const { http, get } = setup()
    const h = handler(() => ({ headers }))
    const first = await http.handle(get('/x'), h.for(get('/x')))
    expect(first.response.headers['cache-control']).toBe(
      headers['cache-control' as keyof typeof headers],
    )
    await http.handle(get('/x'), h.for(get('/x')))
    expect(h.runs).toBe(2)
  })

  it('never gives a Set-Cookie response to another request, even a concurrent one', async () => {
    const { http, get } = setup()
    const h = handler((_, n) => ({ headers: { 'set-cookie': `session=${n}` } }), 50)
    const results = await Promise.all(
      [1, 2, 3].map(() => http.handle(get('/me'), h.for(get('/me')))),
    )
    const cookies = results.map((r) => r.response.headers['set-cookie'])
    expect(new Set(cookies).size).toBe(3)
    expect(h.runs).toBe(3)
  })

  it('stores 500 for nobody, and hands it to the concurrent requests instead of an empty 200', async () => {
    const { http, get } = setup()
    const h = handler(() => ({ status: 500, body: 'boom' }), 50)
    const results = await Promise.all(
      [1, 2, 3].map(() => http.handle(get('/err'), h.for(get('/err')))),
    )
    expect(results.map((r) => r.response.status)).toEqual([500, 500, 500])
    expect(results.map((r) => text(r.response.body))).toEqual(['boom', 'boom', 'boom'])
    expect(h.runs).toBe(1)
    await http.handle(get('/err'), h.for(get('/err')))
    expect(h.runs).toBe(2)
  })

  it('answers 504 to requests whose handler never answers, and the URL works afterwards', async () => {
    const { http, get } = setup({ handlerTimeout: 100 })
    const hang = async (): Promise<HttpResponse> => new Promise(() => {})
    const results = await Promise.all([1, 2].map(() => http.handle(get('/slow'), hang)))
    expect(results.map((r) => r.response.status)).toEqual([504, 504])
    const h = handler(() => ({}))
    expect((await http.handle(get('/slow'), h.for(get('/slow')))).response.status).toBe(200)
  })

  it('stores nothing larger than maxBodyBytes, and still answers with it', async () => {
    const { http, get } = setup({ maxBodyBytes: 10 })
    const h = handler(() => ({ body: 'x'.repeat(11) }))
    expect(text((await http.handle(get('/big'), h.for(get('/big')))).response.body)).toHaveLength(
      11,
    )
    await http.handle(get('/big'), h.for(get('/big')))
    expect(h.runs).toBe(2)
  })
})

describe('http cache | requests', () => {
  it('bypasses Range requests and requests with Authorization (unless the response is public)', async () => {
    const { http, get } = setup()
    const h = handler(() => ({}))
    await http.handle(get('/r'), h.for(get('/r')))
    const ranged = await http.handle(get('/r', { range: 'bytes=0-1' }), h.for(get('/r')))
    expect(ranged.status).toBe('BYPASS')
    const authed = get('/private', { authorization: 'Bearer a' })
    await http.handle(authed, h.for(authed))
    await http.handle(get('/private'), h.for(get('/private')))
    expect(h.runs).toBe(4)
    const pub = handler(() => ({ headers: { 'cache-control': 'public, max-age=60' } }))
    const asAlice = get('/public', { authorization: 'Bearer alice' })
    await http.handle(asAlice, pub.for(asAlice))
    const asBob = get('/public', { authorization: 'Bearer bob' })
    expect((await http.handle(asBob, pub.for(asBob))).status).toBe('HIT')
  })

  it('keys by the request headers the response varies on', async () => {
    const { http, get } = setup()
    const h = handler((request) => ({
      headers: { vary: 'Accept-Language' },
      body: `hello in ${request.headers['accept-language']}`,
    }))
    const fr = get('/hello', { 'accept-language': 'fr' })
    const en = get('/hello', { 'accept-language': 'en' })
    await http.handle(fr, h.for(fr))
    await http.handle(en, h.for(en))
    expect(text((await http.handle(fr, h.for(fr))).response.body)).toBe('hello in fr')
    expect(text((await http.handle(en, h.for(en))).response.body)).toBe('hello in en')
    expect(h.runs).toBe(2)
  })

  it('serves HEAD from a stored GET without a body, and never lets a HEAD fill the entry', async () => {
    const { http, get } = setup()
    const h = handler(() => ({ headers: { 'content-length': '6' }, body: 'abcdef' }))
    const head = get('/doc', {}, 'HEAD')
    const first = await http.handle(head, h.for(head))
    expect(first.status).toBe('BYPASS')
    const full = await http.handle(get('/doc'), h.for(get('/doc')))
    expect(text(full.response.body)).toBe('abcdef')
    const cachedHead = await http.handle(head, h.for(head))
    expect(cachedHead.status).toBe('HIT')
    expect(cachedHead.response.body.byteLength).toBe(0)
    expect(cachedHead.response.headers['content-length']).toBe('6')
  })

  it('drops the cached GET when a POST to the URL succeeds', async () => {
    const { http, get } = setup()
    const h = handler(() => ({}))
    await http.handle(get('/item'), h.for(get('/item')))
    const post = get('/item', {}, 'POST')
    expect((await http.handle(post, h.for(post))).status).toBe('BYPASS')
    expect((await http.handle(get('/item'), h.for(get('/item')))).status).toBe('MISS')
    expect(h.runs).toBe(3)
  })

  it('answers If-None-Match with 304: ETag and Cache-Control, no body', async () => {
    const { http, get } = setup()
    const h = handler(() => ({ headers: { etag: '"v1"', 'cache-control': 'max-age=60' } }))
    await http.handle(get('/e'), h.for(get('/e')))
    for (const tag of ['"v1"', 'W/"v1"', '"x", "v1"', '*']) {
      const conditional = get('/e', { 'if-none-match': tag })
      const result = await http.handle(conditional, h.for(conditional))
      expect(result.response.status).toBe(304)
      expect(result.response.headers.etag).toBe('"v1"')
      expect(result.response.headers['cache-control']).toBe('max-age=60')
      expect(result.response.body.byteLength).toBe(0)
    }
    const other = get('/e', { 'if-none-match': '"v2"' })
    expect((await http.handle(other, h.for(other))).response.status).toBe(200)
  })

  it('sends a growing Age and never rewrites max-age', async () => {
    const { http, get } = setup()
    const h = handler(() => ({ headers: { 'cache-control': 'max-age=60' } }))
    await http.handle(get('/age'), h.for(get('/age')))
    await sleep(1100)
    const hit = await http.handle(get('/age'), h.for(get('/age')))
    expect(Number(hit.response.headers.age)).toBeGreaterThanOrEqual(1)
    expect(hit.response.headers['cache-control']).toBe('max-age=60')
  })
})

describe('http cache | stale (RFC 5861)', () => {
  it('serves the stale copy at once within stale-while-revalidate and refreshes it', async () => {
    const { http, get } = setup()
    const h = handler((_, n) => ({
      headers: { 'cache-control': 'max-age=1, stale-while-revalidate=30' },
      body: `v${n}`,
    }))
    await http.handle(get('/swr'), h.for(get('/swr')))
    await sleep(1100)
    const stale = await http.handle(get('/swr'), h.for(get('/swr')))
    expect(stale.status).toBe('STALE')
    expect(text(stale.response.body)).toBe('v1')
    await sleep(50)
    expect(text((await http.handle(get('/swr'), h.for(get('/swr')))).response.body)).toBe('v2')
  })

  it('serves the stale copy within stale-if-error only when the handler fails with a 5xx', async () => {
    const { http, get } = setup()
    let failing = false
    const h = handler((_, n) =>
      failing
        ? { status: 503, body: 'down' }
        : { headers: { 'cache-control': 'max-age=1, stale-if-error=30' }, body: `v${n}` },
    )
    await http.handle(get('/sie'), h.for(get('/sie')))
    await sleep(1100)
    // Handler healthy: the refresh's fresh answer, not the stale copy.
    expect(text((await http.handle(get('/sie'), h.for(get('/sie')))).response.body)).toBe('v2')
    await sleep(1100)
    failing = true
    const saved = await http.handle(get('/sie'), h.for(get('/sie')))
    expect(saved.response.status).toBe(200)
    expect(text(saved.response.body)).toBe('v2')
  })
})

describe('http cache | options', () => {
  it.each([
    [{ statuses: [200, 206] }, 'without 206 or 304'],
    [{ ttl: 0 }, 'Expected `ttl` to be a positive duration'],
    [{ varyBy: [''] }, 'Expected `varyBy` to be an array of header names'],
    [{ maxBodyBytes: -1 }, 'Expected `maxBodyBytes`'],
    [{ maxAge: '1m' }, 'Unknown option `maxAge` of the HTTP cache; the options are ttl,'],
  ])('rejects %o with a TypeError that says what was expected', (options, message) => {
    expect(() => httpCache(createCache(), options as HttpCacheOptions)).toThrow(message)
  })
})

describe('http cache | protection', () => {
  it('answers 404 without running the handler for an id a Bloom guard does not know', async () => {
    const known = new Set(['1', '2'])
    const cache = createCache({
      guards: [{ name: 'ids', admit: (key) => known.has(key.split('/').pop() ?? '') }],
    })
    const http = httpCache(cache)
    const h = handler(() => ({}))
    const unknown = { method: 'GET', url: '/users/999', headers: {} }
    const result = await http.handle(unknown, h.for(unknown))
    expect(result.response.status).toBe(404)
    expect(result.response.headers['cache-status']).toBe('cacheguard; hit; detail=blocked')
    expect(h.runs).toBe(0)
    const real = { method: 'GET', url: '/users/1', headers: {} }
    expect((await http.handle(real, h.for(real))).response.status).toBe(200)
  })

  it('answers from the handler, without hanging, when the store is down', async () => {
    const down = unreachableRedis()
    const http = httpCache(createCache({ store: redisStore(down), storeTimeout: 100 }))
    const h = handler(() => ({ body: 'from the handler' }))
    const request = { method: 'GET', url: '/down', headers: {} }
    const results = await Promise.all([1, 2].map(() => http.handle(request, h.for(request))))
    expect(results.map((r) => text(r.response.body))).toEqual([
      'from the handler',
      'from the handler',
    ])
    down.disconnect()
  })

  it('runs the handler once for two app instances sharing Redis with lockGuard', async () => {
    const redis = connectRedis()
    const prefix = uniquePrefix('http-lock')
    const instances = [1, 2].map(() =>
      httpCache(
        createCache({
          store: redisStore(redis, { prefix }),
          guards: [
            lockGuard({
              redlock: new Redlock([redis]),
              prefix: `${prefix}lock:`,
              pollInterval: 20,
            }),
          ],
        }),
      ),
    )
    const h = handler(() => ({}), 150)
    const request = { method: 'GET', url: '/shared', headers: {} }
    const results = await Promise.all(
      instances.flatMap((http) => [1, 2, 3].map(() => http.handle(request, h.for(request)))),
    )
    expect(h.runs).toBe(1)
    expect(new Set(results.map((r) => text(r.response.body)))).toEqual(new Set(['body 1']))
  })
})

describe('http cache | failures found by the adapters', () => {
  it('never rejects a coalesced request when the store fails on a Vary response', async () => {
    const down = unreachableRedis()
    const http = httpCache(createCache({ store: redisStore(down), storeTimeout: 100 }))
    const h = handler(() => ({ headers: { vary: 'accept-language' } }), 30)
    const request = { method: 'GET', url: '/v', headers: { 'accept-language': 'fr' } }
    const settled = await Promise.allSettled(
      [1, 2, 3].map(() => http.handle(request, h.for(request))),
    )
    expect(settled.every((s) => s.status === 'fulfilled' && s.value.response.status === 200)).toBe(
      true,
    )
    down.disconnect()
  })

  it('hashes a long non-ASCII URL by its bytes, under the cache key limit', async () => {
    const { http, get } = setup()
    const h = handler(() => ({}))
    const url = `/search/${'日'.repeat(400)}`
    await http.handle(get(url), h.for(get(url)))
    expect((await http.handle(get(url), h.for(get(url)))).status).toBe('HIT')
  })
})

describe('http cache | conditional requests in a stampede', () => {
  it('never hands the 304 a handler gave one conditional request to the others', async () => {
    const { http, get } = setup()
    const h = handler(
      (request) => (request.headers['if-none-match'] ? { status: 304, body: '' } : {}),
      50,
    )
    const conditional = get('/c', { 'if-none-match': '"v1"' })
    const plain = get('/c')
    const [a, b] = await Promise.all([
      http.handle(conditional, h.for(conditional)),
      http.handle(plain, h.for(plain)),
    ])
    expect(a.response.status).toBe(304)
    expect(b.response.status).toBe(200)
    expect(text(b.response.body)).toBe('body 2')
  })
})
