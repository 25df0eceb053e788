import { describe, expect, it } from 'vitest'
import { cachedApps } from '../test/app.js'
import { listen, send, sleep } from '../test/server.js'

const { cachedApp } = cachedApps('express-rules')

/** An app with one cached route, `/r`, answering `body <n>` with `headers`; counts its runs. */
async function route(headers: Record<string, string> = {}) {
  const app = cachedApp()
  const counter = { runs: 0, url: '' }
  app.get('/r', (_req, res) => {
    const n = ++counter.runs
    res.set(headers).send(`body ${n}`)
  })
  counter.url = `${await listen(app)}/r`
  return counter
}

describe('express cache | what is not stored (RFC 9111)', () => {
  it.each([
    ['no-store', 'no-store'],
    ['private', 'private, max-age=60'],
    ['s-maxage=0', 'public, s-maxage=0, max-age=60'],
  ])('does not store %s, and the client gets the Cache-Control unchanged', async (_, cc) => {
    const r = await route({ 'Cache-Control': cc })
    const first = await send(r.url)
    const second = await send(r.url)
    expect(r.runs).toBe(2)
    expect(second.body.toString()).toBe('body 2')
    for (const reply of [first, second]) {
      expect(reply.headers['cache-control']).toBe(cc)
      expect(reply.headers['x-cache']).not.toBe('HIT')
    }
  })

  it('never sends a Set-Cookie to a second client, one after the other or at once', async () => {
    const app = cachedApp()
    let runs = 0
    app.get('/me', async (_req, res) => {
      const n = ++runs
      await sleep(50)
      res.cookie('session', String(n)).send(`hello ${n}`)
    })
    const url = `${await listen(app)}/me`
    const first = await send(url)
    const second = await send(url)
    expect(first.headers['set-cookie']).toEqual(['session=1; Path=/'])
    expect(second.headers['set-cookie']).toEqual(['session=2; Path=/'])
    expect(second.body.toString()).toBe('hello 2')
    const together = await Promise.all([1, 2, 3].map(() => send(url)))
    const cookies = together.map((r) => String(r.headers['set-cookie']))
    expect(new Set(cookies).size).toBe(3)
    for (const reply of together) {
      expect(reply.body.toString()).toBe(
        `hello ${/session=(\d+)/.exec(String(reply.headers['set-cookie']))?.[1]}`,
      )
    }
  })
})

describe('express cache | requests the cache stays out of', () => {
  it('neither stores nor serves a response to a request with Authorization', async () => {
    const r = await route({ 'Cache-Control': 'max-age=60' })
    const authorized = await send(r.url, { headers: { authorization: 'Bearer alice' } })
    expect(authorized.headers['x-cache']).toBe('BYPASS')
    expect((await send(r.url)).body.toString()).toBe('body 2')
    expect((await send(r.url)).headers['x-cache']).toBe('HIT')
    const again = await send(r.url, { headers: { authorization: 'Bearer bob' } })
    expect(again.headers['x-cache']).toBe('BYPASS')
    expect(again.body.toString()).toBe('body 3')
  })

  it('passes a Range request to the handler', async () => {
    const r = await route()
    await send(r.url)
    const ranged = await send(r.url, { headers: { range: 'bytes=0-1' } })
    expect(ranged.headers['x-cache']).toBe('BYPASS')
    expect(r.runs).toBe(2)
  })
})

describe('express cache | validators and age', () => {
  it('answers If-None-Match with 304, the ETag and Cache-Control, and no body', async () => {
    const r = await route({ 'Cache-Control': 'public, max-age=60' })
    const first = await send(r.url)
    const etag = first.headers.etag
    expect(etag).toBeDefined()
    const revalidated = await send(r.url, { headers: { 'if-none-match': String(etag) } })
    expect(revalidated.status).toBe(304)
    expect(revalidated.headers.etag).toBe(etag)
    expect(revalidated.headers['cache-control']).toBe('public, max-age=60')
    expect(revalidated.body.length).toBe(0)
    expect(r.runs).toBe(1)
  })

  it('sends a growing Age and never rewrites max-age', async () => {
    const r = await route({ 'Cache-Control': 'public, max-age=60' })
    await send(r.url)
    const fresh = await send(r.url)
    await sleep(1100)
    const older = await send(r.url)
    expect(Number(fresh.headers.age)).toBe(0)
    expect(Number(older.headers.age)).toBeGreaterThanOrEqual(1)
    for (const reply of [fresh, older]) {
      expect(reply.headers['x-cache']).toBe('HIT')
      expect(reply.headers['cache-control']).toBe('public, max-age=60')
    }
  })
})
