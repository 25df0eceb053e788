// The store's server stopped mid-run: requests keep being answered by the handler, one run per
// burst of identical requests still, none hangs, and once the server is back responses are
// stored again.
import { describe, expect, it } from 'vitest'
import { sleep } from '../client.js'
import type { HttpAdapter } from '../harness.js'
import { serveScenario } from '../harness.js'

/** Registers the outage scenario for `adapter`, when it gives a store whose server can stop. */
export function describeOutage(adapter: HttpAdapter): void {
  const outage = adapter.outage
  if (outage === undefined) return
  describe(`${adapter.name} | store outage`, () => {
    it('keeps answering when Redis stops mid-run: one handler run per burst, and stores again once it is back', async () => {
      const server = await outage()
      let waitFor = 0
      const site = await serveScenario(
        adapter,
        async (request, run) => {
          // A burst's run waits until the rest of the burst waits for it.
          const deadline = Date.now() + 5000
          while (site.cache.stats().coalesced < waitFor && Date.now() < deadline) await sleep(10)
          return {
            headers: { 'Cache-Control': 'max-age=60', 'Content-Type': 'text/plain' },
            body: `${request.url} run ${run}`,
          }
        },
        {},
        { store: server.store, breaker: false },
      )
      expect((await site.send('/up')).text).toBe('/up run 1')
      const hit = await site.send('/up')
      expect([hit.headers['x-cache'], hit.text]).toEqual(['HIT', '/up run 1'])

      await server.stop()
      // What was stored is out of reach: the handler answers.
      const stored = await site.send('/up')
      expect([stored.status, stored.text]).toEqual([200, '/up run 2'])
      // Single-flight does not need the store: a burst still runs the handler once.
      waitFor = site.cache.stats().coalesced + 9
      const burst = await Promise.all(Array.from({ length: 10 }, () => site.send('/down')))
      expect(new Set(burst.map((reply) => `${reply.status} ${reply.text}`))).toEqual(
        new Set(['200 /down run 3']),
      )
      expect(site.runs).toBe(3)

      waitFor = 0
      await server.start()
      // Back: a new response is stored again (the first writes may race the reconnection).
      const deadline = Date.now() + 10_000
      let again = await site.send('/back')
      for (; again.headers['x-cache'] !== 'HIT' && Date.now() < deadline; await sleep(50)) {
        again = await site.send('/back')
      }
      expect([again.status, again.headers['x-cache']]).toEqual([200, 'HIT'])
    })
  })
}
