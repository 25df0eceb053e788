// What the cache is for: one handler run for a burst of cold requests, nothing stored from a
// failure, no request left hanging by a handler that never answers, bad options refused.
import { describe, expect, it } from 'vitest'
import { oneSocket, sleep } from '../client.js'
import type { HttpAdapter } from '../harness.js'
import { serveScenario } from '../harness.js'

/** Registers the protection scenarios for `adapter`. */
export function describeProtection(adapter: HttpAdapter): void {
  describe(`${adapter.name} | protection`, () => {
    it('runs a 200 ms handler once for 100 concurrent cold GETs, and all get the same body', async () => {
      const site = await serveScenario(adapter, async (_request, run) => {
        // 200 ms of work, started once the other 99 wait for it (a loaded machine connects slowly).
        const deadline = Date.now() + 5000
        while (site.cache.stats().coalesced < 99 && Date.now() < deadline) await sleep(10)
        await sleep(200)
        return { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ run }) }
      })
      const replies = await Promise.all(Array.from({ length: 100 }, () => site.send('/hot')))
      expect(site.runs).toBe(1)
      expect(new Set(replies.map((r) => `${r.status} ${r.text}`))).toEqual(
        new Set(['200 {"run":1}']),
      )
      // The request that ran it is the MISS; the ones that waited for it are served what it stored.
      expect(replies.filter((r) => r.headers['x-cache'] === 'MISS')).toHaveLength(1)
      const again = await site.send('/hot')
      expect([again.headers['x-cache'], again.text]).toEqual(['HIT', '{"run":1}'])
      expect(site.runs).toBe(1)
    })

    it.each([
      ['throws', () => Promise.reject(new Error('boom'))],
      ['answers 500', () => ({ status: 500, body: 'boom' })],
    ])(
      'stores nothing from a handler that %s, and shares its failure with its waiters',
      async (_, fail) => {
        const site = await serveScenario(adapter, async (_request, run) => {
          if (run > 1) return { body: 'recovered' }
          await sleep(100)
          return fail()
        })
        const failed = await Promise.all([1, 2, 3].map(() => site.send('/f')))
        expect(failed.map((reply) => reply.status >= 500)).toEqual([true, true, true])
        expect(site.runs).toBe(1)
        const after = await site.send('/f')
        expect([after.status, after.text, after.headers['x-cache']]).toEqual([
          200,
          'recovered',
          'MISS',
        ])
      },
    )

    it('answers 504 to the waiters of a handler that never answers in time, and the URL works afterwards', async () => {
      const site = await serveScenario(
        adapter,
        async (_request, run) => {
          // The first run answers after 400 ms; the ones after it at once.
          if (run === 1) await sleep(400)
          return { headers: { 'Cache-Control': 'max-age=60' }, body: run === 1 ? 'late' : 'prompt' }
        },
        { handlerTimeout: 150 },
      )
      const agent = oneSocket()
      try {
        const replies = await Promise.all([site.send('/stuck', { agent }), site.send('/stuck')])
        expect(replies.map((reply) => reply.status)).toEqual([504, 504])
        expect(site.runs).toBe(1)
        // The same connection carries the next request: the late answer never came down it.
        await sleep(400)
        const after = await site.send('/stuck', { agent })
        // The late answer filled the cache.
        expect([after.status, after.text, after.headers['x-cache']]).toEqual([200, 'late', 'HIT'])
      } finally {
        agent.destroy()
      }
    })

    it('refuses bad options when the adapter is set up, with the option named', async () => {
      const site = await serveScenario(adapter, () => ({ body: 'ok' }))
      const serve = (options: object) => () => adapter.serve(site.cache, () => ({}), options)
      expect(serve({ cookies: 'all' })).toThrow("Expected `cookies` to be 'private'")
      expect(serve({ cookies: [] })).toThrow('a non-empty array of cookie names')
      expect(serve({ cdnCacheControl: 'yes' })).toThrow(
        'Expected `cdnCacheControl` to be a boolean',
      )
      expect(serve({ ttl: 'forever' })).toThrow('ttl')
    })
  })
}
