// The shared HTTP scenario suite over Hono 4 on @hono/node-server: honoCache as the app's
// middleware, the scenario's handler as the route after it, answering with c.body. A throw goes
// to Hono's error handling (a 500).
import { describeHttpScenarios, paced, type ScenarioResponse } from '@cacheguard/http/testing'
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { redisOutage } from '../../../test/helpers/redis-outage.js'
import { redisStores } from '../../../test/helpers/redis-stores.js'
import { honoCache } from './hono-cache.js'

describeHttpScenarios({
  name: 'hono',
  store: redisStores('hono-scenarios'),
  outage: redisOutage,
  serve(cache, handler, options) {
    const app = new Hono()
    app.use(honoCache(cache, options))
    app.all('*', async (c) => {
      const url = new URL(c.req.url)
      const answer = await handler({
        method: c.req.method,
        url: `${url.pathname}${url.search}`,
        headers: c.req.header(),
      })
      return reply(c.body.bind(c), answer)
    })
    return getRequestListener(app.fetch)
  },
})

/** A scenario's answer through `c.body` (each Set-Cookie its own field). */
function reply(
  body: (
    data: string | ArrayBuffer | ReadableStream<Uint8Array> | null,
    init?: ResponseInit,
  ) => Response,
  answer: ScenarioResponse,
): Response {
  const headers = new Headers()
  for (const [name, value] of Object.entries(answer.headers ?? {})) {
    for (const one of [value].flat()) headers.append(name, one)
  }
  const status = answer.status ?? 200
  if (answer.chunks !== undefined) {
    return body(ReadableStream.from(paced(answer.chunks)), { status, headers })
  }
  const data = answer.body ?? ''
  if (status === 204 || status === 304) return body(null, { status, headers })
  return body(typeof data === 'string' ? data : data.slice().buffer, { status, headers })
}
