// expressCache on Express 4 (4.21+): the middleware uses only Node's request and response API and
// `req.originalUrl`, so the same behaviours hold there. Express 4 is installed for the tests as
// the alias `express4`.
import { createRequire } from 'node:module'
import { Readable } from 'node:stream'
import type Express from 'express'
import { describe, expect, it } from 'vitest'
import { cachedApps } from '../test/app.js'
import { listen, send, sleep } from '../test/server.js'

const express4 = createRequire(import.meta.url)('express4') as typeof Express
const { cachedApp } = cachedApps('express4', express4)

describe('express cache | Express 4', () => {
  it('is Express 4', () => {
    const version = createRequire(import.meta.url)('express4/package.json').version as string
    expect(version).toMatch(/^4\./)
  })

  it('runs the handler once for 50 concurrent cold GETs and replays res.json on a hit', async () => {
    const app = cachedApp()
    const runs: number[] = []
    app.get('/hot', async (_req, res) => {
      runs.push(runs.length + 1)
      await sleep(200)
      res.json({ n: runs.length })
    })
    const url = await listen(app)
    const replies = await Promise.all(Array.from({ length: 50 }, () => send(`${url}/hot`)))
    expect(runs).toEqual([1])
    const answers = new Set(replies.map((reply) => `${reply.status} ${reply.body}`))
    expect([...answers]).toEqual(['200 {"n":1}'])
    const again = await send(`${url}/hot`)
    expect([again.headers['x-cache'], again.headers['content-type']]).toEqual([
      'HIT',
      'application/json; charset=utf-8',
    ])
    expect(again.body.toString()).toBe('{"n":1}')
  })

  it('stores res.write chunks, piped streams and Buffers byte for byte', async () => {
    const app = cachedApp()
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13])
    app.get('/chunks', (_req, res) => {
      res.type('text/plain')
      res.write('one ')
      res.write(Buffer.from('two '))
      res.end('three')
    })
    app.get('/piped', (_req, res) => {
      res.type('text/plain')
      Readable.from(['a', 'b', 'c']).pipe(res)
    })
    app.get('/binary', (_req, res) => {
      res.type('application/octet-stream').send(bytes)
    })
    const url = await listen(app)
    for (const [path, body] of [
      ['/chunks', Buffer.from('one two three')],
      ['/piped', Buffer.from('abc')],
      ['/binary', bytes],
    ] as const) {
      const first = await send(`${url}${path}`)
      const hit = await send(`${url}${path}`)
      expect([first.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT'])
      expect(first.body.equals(body)).toBe(true)
      expect(hit.body.equals(body)).toBe(true)
    }
  })

  it("answers If-None-Match from the stored response, and never stores a response's Set-Cookie", async () => {
    const app = cachedApp()
    let runs = 0
    app.get('/etag', (_req, res) => {
      runs++
      res.set('ETag', '"v1"').send('tagged')
    })
    app.get('/cookie', (_req, res) => {
      runs++
      res.cookie('session', 'secret').send('personal')
    })
    const url = await listen(app)
    // The conditional request runs the handler, which answers it in full (Express 4's res.send
    // does not see the validators); the next one is answered 304 from the cache.
    const first = await send(`${url}/etag`, { headers: { 'If-None-Match': '"v1"' } })
    expect([first.status, first.body.toString()]).toEqual([200, 'tagged'])
    const revalidated = await send(`${url}/etag`, { headers: { 'If-None-Match': 'W/"v1"' } })
    expect([revalidated.status, revalidated.body.length]).toEqual([304, 0])
    expect(revalidated.headers.etag).toBe('"v1"')
    // Each request for the cookie route runs the handler and gets its own cookie: nothing stored.
    const [a, b] = [await send(`${url}/cookie`), await send(`${url}/cookie`)]
    for (const reply of [a, b]) {
      expect(reply.headers['x-cache']).toBe('MISS')
      expect(reply.headers['set-cookie']?.[0]).toMatch(/^session=secret/)
    }
    expect(runs).toBe(3)
  })
})
