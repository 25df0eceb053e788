// Revalidation through Express's own validator handling: res.send adds a weak ETag of the body
// and answers a matching If-None-Match with 304 by itself. The handler sees the cache's
// conditional request and Express's 304 freshens the stored response (issue 14, item 4). Every
// other HTTP rule runs for Express in the shared scenario suite (scenarios.test.ts).
import { describe, expect, it } from 'vitest'
import { cachedApps } from '../test/app.js'
import { listen, send, sleep } from '../test/server.js'

const { cachedApp } = cachedApps('express-revalidation')

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
})
