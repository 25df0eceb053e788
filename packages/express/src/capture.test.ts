import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import compression from 'compression'
import type { Response } from 'express'
import { describe, expect, it } from 'vitest'
import { cachedApps } from '../test/app.js'
import { listen, oneSocket, type Reply, send, sleep } from '../test/server.js'

const { cachedApp } = cachedApps('express-capture')

/** A promise the test opens by hand. */
function gate() {
  let open = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

/**
 * Sends until the answer is a HIT, every 20 ms for up to 3 s; resolves the last answer. For a
 * background refresh whose handler has ended but whose answer may not be stored yet.
 */
async function untilHit(request: () => Promise<Reply>): Promise<Reply> {
  const deadline = Date.now() + 3000
  for (;;) {
    const reply = await request()
    if (reply.headers['x-cache'] === 'HIT' || Date.now() > deadline) return reply
    await sleep(20)
  }
}

const bytes = randomBytes(64 * 1024)
const chunks = Array.from({ length: 16 }, (_, i) => bytes.subarray(i * 4096, (i + 1) * 4096))

describe('express cache | what the handler writes', () => {
  const file = join(tmpdir(), `cacheguard-express-${process.pid}.bin`)
  const writers: Array<[string, (res: Response) => unknown, Buffer]> = [
    ['res.send(string)', (res) => res.send('héllo wörld'), Buffer.from('héllo wörld')],
    ['res.json', (res) => res.json({ a: [1, 'ü'] }), Buffer.from('{"a":[1,"ü"]}')],
    ['res.end(string)', (res) => res.end('plain end'), Buffer.from('plain end')],
    ['res.send(Buffer)', (res) => res.type('bin').send(bytes), bytes],
    [
      'res.write in chunks',
      (res) => {
        res.setHeader('Content-Type', 'application/octet-stream')
        for (const chunk of chunks) res.write(chunk)
        res.end()
      },
      bytes,
    ],
    ['a piped Readable', (res) => Readable.from(chunks).pipe(res.type('bin')), bytes],
    ['stream.pipeline', (res) => pipeline(Readable.from(chunks), res.type('bin')), bytes],
    ['res.sendFile', (res) => res.sendFile(file, { maxAge: '1m' }), bytes],
  ]

  it.each(writers)(
    'captures %s byte for byte, and serves the same bytes from the cache',
    async (_, write, expected) => {
      await writeFile(file, bytes)
      const app = cachedApp()
      let runs = 0
      app.get('/w', async (_req, res) => {
        runs++
        await sleep(10)
        await write(res)
      })
      const url = `${await listen(app)}/w`
      const miss = await send(url)
      const hit = await send(url)
      expect(miss.status).toBe(200)
      expect(miss.headers['x-cache']).toBe('MISS')
      expect(hit.headers['x-cache']).toBe('HIT')
      expect(miss.body.equals(expected)).toBe(true)
      expect(hit.body.equals(expected)).toBe(true)
      expect(runs).toBe(1)
    },
  )

  it('keeps headers set by middleware before the cache, and lets them decide too', async () => {
    const app = cachedApp({}, {}, (app) =>
      app.use((req, res, next) => {
        res.setHeader('X-Before', 'yes')
        if (req.query.user) res.setHeader('Cache-Control', 'private')
        next()
      }),
    )
    let runs = 0
    app.get('/h', (_req, res) => {
      runs++
      res.send('h')
    })
    const url = `${await listen(app)}/h`
    await send(`${url}?user=1`)
    const again = await send(`${url}?user=1`)
    expect(again.headers['cache-control']).toBe('private')
    expect(again.headers['x-before']).toBe('yes')
    expect(runs).toBe(2)
  })
})

describe('express cache | conditional requests on a miss', () => {
  // Express's res.send answers a matching If-None-Match with 304 on its own. A 304 is this
  // client's alone, so the HTTP cache neither stores nor shares it, and every request waiting
  // with it would run the handler again: the handler runs without the validators instead.
  it('runs the handler once for a burst of revalidations, and answers each with 304 or the body', async () => {
    const app = cachedApp()
    let runs = 0
    app.get('/inm', async (_req, res) => {
      runs++
      await sleep(100)
      res.send('the body')
    })
    const url = `${await listen(app)}/inm`
    const etag = String((await send(url, { method: 'HEAD' })).headers.etag)
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => send(url, { headers: { 'if-none-match': etag } })),
    )
    expect(runs).toBe(2)
    const statuses = replies.map((r) => r.status).sort()
    expect(statuses).toEqual([200, ...Array.from({ length: 19 }, () => 304)])
    expect(replies.find((r) => r.status === 200)?.body.toString()).toBe('the body')
    const plain = await send(url)
    expect(plain.headers['x-cache']).toBe('HIT')
    expect(plain.body.toString()).toBe('the body')
  })
})

describe('express cache | compression', () => {
  const body = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => `item ${i}`) })

  it.each([
    ['before the cache', true],
    ['after the cache', false],
  ])('with compression %s, gzip and identity clients both decode the body', async (_, first) => {
    const app = cachedApp({}, {}, first ? (app) => app.use(compression()) : undefined)
    if (!first) app.use(compression())
    app.get('/c', (_req, res) => {
      res.type('json').send(body)
    })
    const url = `${await listen(app)}/c`
    for (let round = 0; round < 2; round++) {
      const gzip = await send(url, { headers: { 'accept-encoding': 'gzip' } })
      expect(gzip.headers['content-encoding']).toBe('gzip')
      expect(gunzipSync(gzip.body).toString()).toBe(body)
      const identity = await send(url, { headers: { 'accept-encoding': 'identity' } })
      expect(identity.headers['content-encoding']).toBeUndefined()
      expect(identity.body.toString()).toBe(body)
      if (round === 1) {
        expect(gzip.headers['x-cache']).toBe('HIT')
        expect(identity.headers['x-cache']).toBe('HIT')
      }
    }
  })
})

describe('express cache | handlers that outlive their request', () => {
  it('keeps a stale-while-revalidate refresh away from the client, and stores its answer', async () => {
    const app = cachedApp()
    let runs = 0
    const refresh = gate()
    app.get('/swr', async (_req, res) => {
      const n = ++runs
      res.set('Cache-Control', 'max-age=1, stale-while-revalidate=30')
      if (n > 1) await sleep(200)
      res.write(`version ${n}, `)
      await sleep(20)
      res.end('done')
      if (n === 2) refresh.open()
    })
    app.get('/other', (_req, res) => {
      res.send('other')
    })
    const url = `${await listen(app)}/swr`
    const agent = oneSocket()
    await send(url, { agent })
    await sleep(1100)
    const stale = await send(url, { agent })
    expect(stale.headers['x-cache']).toBe('STALE')
    expect(stale.body.toString()).toBe('version 1, done')
    // The refresh writes while the same connection carries other requests.
    const during = await send(`${url.replace('/swr', '/other')}`, { agent })
    expect(during.body.toString()).toBe('other')
    await refresh.opened
    // Its answer is stored just after; until then the stale copy is served, and no new run starts.
    const refreshed = await untilHit(() => send(url, { agent }))
    expect(refreshed.headers['x-cache']).toBe('HIT')
    expect(refreshed.body.toString()).toBe('version 2, done')
    expect(runs).toBe(2)
  })

  it('stores a gzip body from a stale-while-revalidate refresh behind compression', async () => {
    // Regression: compression destroyed its zlib stream when the real response closed, which
    // happens while a background refresh still writes; the refresh stored an identity body.
    const app = cachedApp()
    app.use(compression())
    let runs = 0
    const refresh = gate()
    const body = (n: number) => `{"run":${n},"pad":"${'x'.repeat(2000)}"}`
    app.get('/swr-gzip', async (_req, res) => {
      const n = ++runs
      if (n > 1) await sleep(100)
      res.set('Cache-Control', 'max-age=1, stale-while-revalidate=30').type('json').send(body(n))
      if (n === 2) refresh.open()
    })
    const url = `${await listen(app)}/swr-gzip`
    const gzip = { 'accept-encoding': 'gzip' }
    await send(url, { headers: gzip })
    await sleep(1100)
    const stale = await send(url, { headers: gzip })
    expect(stale.headers['x-cache']).toBe('STALE')
    expect(gunzipSync(stale.body).toString()).toBe(body(1))
    await refresh.opened
    const refreshed = await untilHit(() => send(url, { headers: gzip }))
    expect(refreshed.headers['x-cache']).toBe('HIT')
    expect(refreshed.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(refreshed.body).toString()).toBe(body(2))
    expect(runs).toBe(2)
  })

  it('keeps a failing background refresh away from the client, and the stale copy in place', async () => {
    const app = cachedApp()
    let runs = 0
    app.get('/bg-fails', async (_req, res, next) => {
      res.set('Cache-Control', 'max-age=1, stale-while-revalidate=30')
      if (++runs === 1) return res.send('version 1')
      await sleep(50)
      next(new Error('the database is down'))
    })
    const url = `${await listen(app)}/bg-fails`
    const agent = oneSocket()
    await send(url, { agent })
    await sleep(1100)
    // Each request gets the stale copy; once the failed refresh is over, the next one starts
    // another refresh (the failure did not leave the key stuck). Polled: a busy machine may take
    // longer than the handler's 50 ms to fail it.
    const deadline = Date.now() + 5000
    while (runs < 3 && Date.now() < deadline) {
      const stale = await send(url, { agent })
      expect(stale.headers['x-cache']).toBe('STALE')
      expect(stale.body.toString()).toBe('version 1')
      await sleep(20)
    }
    expect(runs).toBe(3)
  })

  it('drops the connection of a handler that destroys its response, and answers its waiters 502', async () => {
    // The handler destroys its response only once the waiter is in, and has had time to join.
    const arrived = gate()
    let arrivals = 0
    const app = cachedApp({}, {}, (app) =>
      app.use((_req, _res, next) => {
        if (++arrivals === 2) arrived.open()
        next()
      }),
    )
    let runs = 0
    const running = gate()
    app.get('/destroyed', async (_req, res) => {
      runs++
      running.open()
      await arrived.opened
      await sleep(300)
      res.destroy()
    })
    const url = `${await listen(app)}/destroyed`
    const [first, waiter] = await Promise.allSettled([
      send(url),
      running.opened.then(() => send(url)),
    ])
    expect(first.status).toBe('rejected')
    expect(waiter.status === 'fulfilled' && waiter.value.status).toBe(502)
    expect(runs).toBe(1)
  })

  it('survives a client that hangs up before the handler answers, and stores the answer', async () => {
    const app = cachedApp()
    let started!: () => void
    const running = new Promise<void>((resolve) => {
      started = resolve
    })
    let answered!: () => void
    const done = new Promise<void>((resolve) => {
      answered = resolve
    })
    app.get('/slow', async (_req, res) => {
      started()
      await sleep(100)
      res.send('slow')
      answered()
    })
    const url = `${await listen(app)}/slow`
    const controller = new AbortController()
    const gone = fetch(url, { signal: controller.signal }).catch((error: Error) => error.name)
    await running
    controller.abort()
    expect(await gone).toBe('AbortError')
    await done
    await sleep(20)
    const next = await send(url)
    expect(next.body.toString()).toBe('slow')
    expect(next.headers['x-cache']).toBe('HIT')
  })
})
