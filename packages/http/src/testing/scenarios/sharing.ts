// What is never shared between clients: Set-Cookie, answers to Authorization and Cookie
// requests (RFC 9111 §3.5, our cookie default), and Range requests, which the cache stays out of.
import { describe, expect, it } from 'vitest'
import { sleep } from '../client.js'
import type { HttpAdapter } from '../harness.js'
import { serveScenario } from '../harness.js'

/** Registers the scenarios of what is never shared, for `adapter`. */
export function describeSharing(adapter: HttpAdapter): void {
  describe(`${adapter.name} | Set-Cookie`, () => {
    it('never sends a Set-Cookie to a second client, one after the other or at once', async () => {
      const site = await serveScenario(adapter, async (_request, run) => {
        await sleep(50)
        return { headers: { 'Set-Cookie': [`session=${run}; Path=/`] }, body: `hello ${run}` }
      })
      const first = await site.send()
      const second = await site.send()
      expect(first.headers['set-cookie']).toEqual(['session=1; Path=/'])
      expect(second.headers['set-cookie']).toEqual(['session=2; Path=/'])
      expect(second.text).toBe('hello 2')
      const together = await Promise.all([1, 2, 3].map(() => site.send()))
      const cookies = together.map((reply) => String(reply.headers['set-cookie']))
      expect(new Set(cookies).size).toBe(3)
      for (const reply of together) {
        const run = /session=(\d+)/.exec(String(reply.headers['set-cookie']))?.[1]
        expect(reply.text).toBe(`hello ${run}`)
      }
    })
  })

  describe(`${adapter.name} | Authorization (RFC 9111 §3.5)`, () => {
    it('neither stores nor serves a response to a request with Authorization', async () => {
      const site = await serveScenario(adapter, (request, run) => ({
        headers: { 'Cache-Control': 'max-age=60' },
        body: `${request.headers.authorization ?? 'anyone'} ${run}`,
      }))
      const ann = { headers: { Authorization: 'Bearer ann' } }
      const first = await site.send('/r', ann)
      expect([first.text, first.headers['x-cache']]).toEqual(['Bearer ann 1', 'BYPASS'])
      expect((await site.send('/r', { headers: { authorization: 'Bearer bob' } })).text).toBe(
        'Bearer bob 2',
      )
      expect((await site.send()).text).toBe('anyone 3')
      expect((await site.send()).headers['x-cache']).toBe('HIT')
      const again = await site.send('/r', ann)
      expect([again.text, again.headers['x-cache']]).toEqual(['Bearer ann 4', 'BYPASS'])
    })

    it('shares a response to Authorization that says it may (public)', async () => {
      const site = await serveScenario(adapter, (_request, run) => ({
        headers: { 'Cache-Control': 'public, max-age=60' },
        body: `body ${run}`,
      }))
      await site.send('/r', { headers: { Authorization: 'Bearer ann' } })
      const hit = await site.send('/r', { headers: { Authorization: 'Bearer bob' } })
      expect([hit.headers['x-cache'], hit.text]).toEqual(['HIT', 'body 1'])
    })
  })

  describe(`${adapter.name} | cookies (issue 14: a page personalised by Cookie was served to other users)`, () => {
    /** A route that greets the request's `user` cookie, with `cacheControl` (none by default). */
    const greeting = (options = {}, cacheControl?: string) =>
      serveScenario(
        adapter,
        (request) => ({
          headers: cacheControl === undefined ? {} : { 'Cache-Control': cacheControl },
          body: `hello ${/user=(\w+)/.exec(String(request.headers.cookie ?? ''))?.[1] ?? 'stranger'}`,
        }),
        options,
      )
    const as = (user: string) => ({ headers: { cookie: `user=${user}; theme=dark` } })

    it('by default a request with Cookie neither reads nor fills the cache', async () => {
      const site = await greeting()
      expect((await site.send('/r', as('ann'))).text).toBe('hello ann')
      const bob = await site.send('/r', as('bob'))
      expect([bob.text, bob.headers['x-cache']]).toEqual(['hello bob', 'MISS'])
      // Requests without cookies share the cache as before.
      await site.send()
      expect((await site.send()).headers['x-cache']).toBe('HIT')
      expect((await site.send('/r', as('cid'))).text).toBe('hello cid')
      expect(site.runs).toBe(4)
    })

    it('shares a response that says it may be shared (public), cookies or not', async () => {
      const site = await greeting({}, 'public, max-age=60')
      await site.send('/r', as('ann'))
      const again = await site.send('/r', as('bob'))
      expect([again.text, again.headers['x-cache']]).toEqual(['hello ann', 'HIT'])
    })

    it("keys by the named cookies with cookies: ['user'], ignoring the others", async () => {
      const site = await greeting({ cookies: ['user'] })
      await site.send('/r', as('ann'))
      const ann = await site.send('/r', { headers: { cookie: 'theme=light; user=ann' } })
      expect([ann.text, ann.headers['x-cache']]).toEqual(['hello ann', 'HIT'])
      const bob = await site.send('/r', as('bob'))
      expect([bob.text, bob.headers['x-cache']]).toEqual(['hello bob', 'MISS'])
      expect(site.runs).toBe(2)
    })

    it("ignores cookies with cookies: 'ignore' (the route promises they change nothing)", async () => {
      const site = await greeting({ cookies: 'ignore' })
      await site.send('/r', as('ann'))
      expect((await site.send('/r', as('bob'))).headers['x-cache']).toBe('HIT')
      expect(site.runs).toBe(1)
    })
  })

  describe(`${adapter.name} | Range`, () => {
    it('passes a Range request to the handler, and neither serves nor stores it from the cache', async () => {
      const site = await serveScenario(adapter, (request, run) =>
        request.headers.range === undefined
          ? { headers: { 'Cache-Control': 'max-age=60' }, body: `whole ${run}` }
          : { status: 206, headers: { 'Content-Range': 'bytes 0-1/7' }, body: `part ${run}` },
      )
      await site.send()
      const range = await site.send('/r', { headers: { Range: 'bytes=0-1' } })
      expect([range.status, range.text, range.headers['x-cache']]).toEqual([
        206,
        'part 2',
        'BYPASS',
      ])
      const whole = await site.send()
      expect([whole.headers['x-cache'], whole.text]).toEqual(['HIT', 'whole 1'])
    })
  })
}
