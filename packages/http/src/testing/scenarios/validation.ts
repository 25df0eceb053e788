// Validators: a client's conditional requests answered from the store (RFC 9110 §13), and
// stored responses revalidated with the handler (RFC 9111 §4.3, §5.2.2).
import { describe, expect, it } from 'vitest'
import { httpDate, oneSocket, sleep } from '../client.js'
import type { HttpAdapter, ScenarioRequest } from '../harness.js'
import { serveScenario } from '../harness.js'

/** The `If-None-Match` a handler was shown (`undefined`: none). */
const ifNoneMatch = (request: ScenarioRequest) =>
  request.headers['if-none-match'] as string | undefined

/** Registers the conditional-request and revalidation scenarios for `adapter`. */
export function describeValidation(adapter: HttpAdapter): void {
  /**
   * A document whose content has the ETag `"v<version>"`, fresh for `cacheControl`; like an
   * application that answers validators, the handler answers a matching If-None-Match with 304.
   */
  async function versioned(cacheControl = 'max-age=1', options = {}) {
    const doc = { version: 1, seen: [] as Array<string | undefined> }
    const site = await serveScenario(
      adapter,
      (request) => {
        const asked = ifNoneMatch(request)
        doc.seen.push(asked)
        const etag = `"v${doc.version}"`
        const headers = { 'Cache-Control': cacheControl, ETag: etag }
        if (asked === etag) return { status: 304, headers }
        return { headers, body: `content v${doc.version}${asked ? ' (conditional run)' : ''}` }
      },
      options,
    )
    return Object.assign(doc, { site })
  }

  describe(`${adapter.name} | a client's conditional request (RFC 9110 §13)`, () => {
    it('answers If-None-Match with 304, the ETag and Cache-Control, and no body', async () => {
      const { site } = await versioned('max-age=60')
      await site.send()
      const reply = await site.send('/r', { headers: { 'If-None-Match': '"v1"' } })
      expect([reply.status, reply.body.length]).toEqual([304, 0])
      expect([reply.headers.etag, reply.headers['cache-control']]).toEqual(['"v1"', 'max-age=60'])
      expect(site.runs).toBe(1)
    })

    it('answers If-Modified-Since with 304 when nothing changed since, If-None-Match first', async () => {
      const modified = httpDate(Date.now() - 3_600_000)
      const site = await serveScenario(adapter, (_request, run) => ({
        headers: { 'Cache-Control': 'max-age=60', 'Last-Modified': modified, ETag: '"v1"' },
        body: `body ${run}`,
      }))
      await site.send()
      const since = (ms: number, extra: Record<string, string> = {}) =>
        site.send('/r', { headers: { 'If-Modified-Since': httpDate(ms), ...extra } })
      const unchanged = await since(Date.now())
      expect([unchanged.status, unchanged.body.length, unchanged.headers['last-modified']]).toEqual(
        [304, 0, modified],
      )
      expect((await since(Date.now() - 7_200_000)).status).toBe(200)
      // If-None-Match takes precedence: a tag that does not match means the full response.
      expect((await since(Date.now(), { 'If-None-Match': '"v0"' })).status).toBe(200)
      expect(
        (await site.send('/r', { headers: { 'If-Modified-Since': 'yesterday' } })).status,
      ).toBe(200)
      expect(site.runs).toBe(1)
    })

    it("never shows the handler a client's If-None-Match on a miss: its full answer is shared", async () => {
      const r = await versioned('max-age=60')
      // The request that ran the handler gets its full answer (a cache may ignore conditions,
      // RFC 9110 §13.2.1); stored for everyone, the next conditional request gets a 304.
      const miss = await r.site.send('/r', { headers: { 'If-None-Match': '"v1"' } })
      const again = await r.site.send('/r', { headers: { 'If-None-Match': '"v1"' } })
      const plain = await r.site.send()
      expect(r.seen).toEqual([undefined])
      expect([miss.status, miss.text, again.status]).toEqual([200, 'content v1', 304])
      expect([plain.status, plain.text, plain.headers['x-cache']]).toEqual([
        200,
        'content v1',
        'HIT',
      ])
    })
  })

  describe(`${adapter.name} | revalidation (RFC 9111 §4.3)`, () => {
    it('asks the handler If-None-Match for a stale response with a validator; its 304 freshens it', async () => {
      const r = await versioned()
      expect((await r.site.send()).text).toBe('content v1')
      await sleep(1100)
      const revalidated = await r.site.send()
      expect([revalidated.status, revalidated.text]).toEqual([200, 'content v1'])
      expect(r.seen).toEqual([undefined, '"v1"'])
      const after = await r.site.send()
      expect([after.headers['x-cache'], after.text]).toEqual(['HIT', 'content v1'])
      expect(r.seen).toHaveLength(2)
    })

    it('stores the new response when the handler answers 200 to the conditional request', async () => {
      const r = await versioned()
      await r.site.send()
      r.version = 2
      await sleep(1100)
      expect((await r.site.send()).text).toBe('content v2 (conditional run)')
      expect(r.seen).toEqual([undefined, '"v1"'])
      const after = await r.site.send()
      expect([after.headers['x-cache'], after.headers.etag]).toEqual(['HIT', '"v2"'])
    })

    it('never shows the handler the client’s own validators, only the cache’s', async () => {
      const r = await versioned()
      await r.site.send('/r', { headers: { 'If-None-Match': '"client"' } })
      await sleep(1100)
      await r.site.send('/r', { headers: { 'If-None-Match': '"client"' } })
      expect(r.seen).toEqual([undefined, '"v1"'])
    })

    it('fetches in full again with keep: false', async () => {
      const r = await versioned('max-age=1', { keep: false })
      await r.site.send()
      await sleep(1100)
      await r.site.send()
      expect(r.seen).toEqual([undefined, undefined])
    })
  })

  describe(`${adapter.name} | no-cache (RFC 9111 §5.2.2.4)`, () => {
    it('stores a no-cache response with a validator, and revalidates it before every reuse', async () => {
      const r = await versioned('no-cache')
      const replies = []
      for (let i = 0; i < 3; i++) {
        replies.push(await r.site.send())
        await sleep(5)
      }
      // Each request asked the handler; after the first, with the stored ETag, answered 304, and
      // the client got the stored body.
      expect(r.seen).toEqual([undefined, '"v1"', '"v1"'])
      expect(replies.map((reply) => [reply.status, reply.text])).toEqual([
        [200, 'content v1'],
        [200, 'content v1'],
        [200, 'content v1'],
      ])
    })

    it('revalidates under sustained concurrent load: every handler run after the first is conditional', async () => {
      const r = await versioned('no-cache')
      const agent = oneSocket(16)
      const answers = new Set<string>()
      try {
        // 16 clients, each sending its next request as soon as its last is answered.
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            for (let i = 0; i < 25; i++) {
              const reply = await r.site.send('/r', { agent })
              answers.add(`${reply.status} ${reply.text}`)
            }
          }),
        )
      } finally {
        agent.destroy()
      }
      expect(answers).toEqual(new Set(['200 content v1']))
      // Before: a request that arrived while another's revalidation was being stored ran the
      // handler unconditionally, for the whole body (half the runs in bench/http.ts).
      expect(r.seen[0]).toBeUndefined()
      expect(r.seen.slice(1).filter((asked) => asked !== '"v1"')).toEqual([])
      expect(r.seen.length).toBeGreaterThan(1)
    })

    it('does not store a no-cache response without a validator: it cannot be revalidated', async () => {
      const seen: Array<string | undefined> = []
      const site = await serveScenario(adapter, (request, run) => {
        seen.push(ifNoneMatch(request))
        return { headers: { 'Cache-Control': 'no-cache' }, body: `run ${run}` }
      })
      await site.send()
      const second = await site.send()
      expect([second.text, second.headers.etag]).toEqual(['run 2', undefined])
      expect(seen).toEqual([undefined, undefined])
    })
  })

  describe(`${adapter.name} | must-revalidate (RFC 9111 §5.2.2.2)`, () => {
    it.each(['must-revalidate', 'proxy-revalidate'])(
      'never serves stale with %s, not even within stale-while-revalidate or stale-if-error',
      async (directive) => {
        const site = await serveScenario(adapter, (_request, run) => ({
          headers: {
            'Cache-Control': `max-age=1, stale-while-revalidate=60, stale-if-error=60, ${directive}`,
          },
          body: `body ${run}`,
        }))
        await site.send()
        await sleep(1100)
        const after = await site.send()
        expect([after.headers['x-cache'], after.text]).toEqual(['MISS', 'body 2'])
      },
    )
  })

  describe(`${adapter.name} | stale-while-revalidate (RFC 5861)`, () => {
    it('serves the stale copy at once within stale-while-revalidate, and stores the refresh', async () => {
      const site = await serveScenario(adapter, (_request, run) => ({
        headers: { 'Cache-Control': 'max-age=1, stale-while-revalidate=60' },
        body: `body ${run}`,
      }))
      await site.send()
      await sleep(1100)
      const stale = await site.send()
      expect([stale.headers['x-cache'], stale.text]).toEqual(['STALE', 'body 1'])
      const deadline = Date.now() + 5000
      let after = await site.send()
      while (after.text !== 'body 2' && Date.now() < deadline) {
        await sleep(20)
        after = await site.send()
      }
      expect([after.headers['x-cache'], after.text]).toEqual(['HIT', 'body 2'])
      expect(site.runs).toBe(2)
    })
  })
}
