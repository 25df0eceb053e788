// The shared HTTP scenario suite over Fastify 5: fastifyCache registered on the app, the
// scenario's handler as a catch-all route (Fastify adds its HEAD route) sending with reply.send; a
// throw goes to Fastify's error handler (a 500).
import { createServer, type RequestListener } from 'node:http'
import { Readable } from 'node:stream'
import { httpCache } from '@cacheguard/http'
import { describeHttpScenarios, paced } from '@cacheguard/http/testing'
import Fastify from 'fastify'
import { redisOutage } from '../../../test/helpers/redis-outage.js'
import { redisStores } from '../../../test/helpers/redis-stores.js'
import { fastifyCache } from './fastify-cache.js'

describeHttpScenarios({
  name: 'fastify',
  store: redisStores('fastify-scenarios'),
  outage: redisOutage,
  serve(cache, handler, options) {
    // Fastify reports a plugin's bad options when the app gets ready, which the suite cannot wait
    // for here: the same check, at once (fastify-cache.test.ts sees register reject them).
    httpCache(cache, options)
    let route: RequestListener | undefined
    const app = Fastify({
      // The suite serves the listener on its own server; this one never listens.
      serverFactory(listener) {
        route = listener
        return createServer()
      },
    })
    app.register(fastifyCache, { cache, ...options })
    app.addHttpMethod('M-SEARCH', { hasBody: true })
    app.route({
      method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'M-SEARCH'],
      url: '/*',
      handler: async (request, reply) => {
        const answer = await handler({
          method: request.method,
          url: request.url,
          headers: request.headers,
        })
        reply.code(answer.status ?? 200)
        for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value)
        if (answer.chunks !== undefined) return reply.send(Readable.from(paced(answer.chunks)))
        const body = answer.body ?? ''
        return reply.send(typeof body === 'string' ? body : Buffer.from(body))
      },
    })
    const ready = Promise.resolve(app.ready())
    ready.catch(() => {})
    return (req, res) => {
      ready.then(
        () => route?.(req, res),
        () => {
          res.statusCode = 500
          res.end()
        },
      )
    }
  },
})
