// The shared HTTP scenario suite over fetchCache: a web-standard handler, served on Node through
// @hono/node-server's request listener (the bridge Hono itself uses on Node), answering each
// scenario with a Response. A handler that throws rejects, and the listener answers 500.

import { describeHttpScenarios, paced, type ScenarioResponse } from '@cacheguard/http/testing'
import { getRequestListener } from '@hono/node-server'
import { redisOutage } from '../../../test/helpers/redis-outage.js'
import { redisStores } from '../../../test/helpers/redis-stores.js'
import { fetchCache } from './fetch-cache.js'

describeHttpScenarios({
  name: 'fetch',
  store: redisStores('fetch-scenarios'),
  outage: redisOutage,
  serve(cache, handler, options) {
    const cached = fetchCache(
      cache,
      async (request: Request) => {
        const url = new URL(request.url)
        const headers: Record<string, string> = {}
        request.headers.forEach((value, name) => {
          headers[name] = value
        })
        return toResponse(
          await handler({ method: request.method, url: `${url.pathname}${url.search}`, headers }),
        )
      },
      options,
    )
    return getRequestListener((request) => cached(request))
  },
})

/** A scenario's answer as a Response (each Set-Cookie its own field). */
function toResponse(answer: ScenarioResponse): Response {
  const headers = new Headers()
  for (const [name, value] of Object.entries(answer.headers ?? {})) {
    for (const one of [value].flat()) headers.append(name, one)
  }
  const status = answer.status ?? 200
  if (answer.chunks !== undefined) {
    return new Response(ReadableStream.from(paced(answer.chunks)), { status, headers })
  }
  const body = answer.body ?? ''
  const empty = status === 204 || status === 304
  return new Response(empty ? null : body, { status, headers })
}
