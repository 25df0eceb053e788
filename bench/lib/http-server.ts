// One server of the HTTP benchmark (bench/http.ts), in a process of its own so that the load
// generator never shares its event loop: Express 5 with one route per contender, each sending
// the same JSON body.
//   http-server.ts <redis url> <prefix>
// Child to parent: { ready: port } once listening; { runs } when asked with { runs: true }; { cpu }
// (this process's CPU time so far, in µs) when asked with { cpu: true }.
// Parent to child: { runs: true } or { cpu: true }, then { exit: true } at the end.

import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { createCache, memoryStore } from '@cacheguard/core'
import { expressCache } from '@cacheguard/express'
import { redisStore } from '@cacheguard/redis'
import express, { type RequestHandler } from 'express'
import { Redis } from 'ioredis'
import { BODY } from './http-body.js'

/** The routes, one per contender; the `plain` ones have no cache. */
export const ROUTES = [
  'plain',
  'plain-deferred',
  'cacheguard-redis',
  'cacheguard-memory',
  'cacheguard-revalidated',
  'apicache',
] as const
export type Route = (typeof ROUTES)[number]

export type ToChild = { runs: true } | { cpu: true } | { exit: true }
export type FromChild =
  | { ready: number }
  | { runs: Record<Route, number>; conditionalRuns: number }
  | { cpu: number }

// The parent imports the names above alone (`import type`), so what follows runs only here.
if (process.send !== undefined) await serve()

async function serve(): Promise<void> {
  const [url, prefix] = process.argv.slice(2) as [string, string]
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  // apicache ships no types; this is the part of its API the benchmark uses.
  const apicache = createRequire(import.meta.url)('apicache') as {
    middleware: (duration: string) => RequestHandler
  }
  const runs = Object.fromEntries(ROUTES.map((route) => [route, 0])) as Record<Route, number>
  const handler =
    (route: Route): RequestHandler =>
    (_req, res) => {
      runs[route]++
      res.json(BODY)
    }
  const app = express()
  app.get('/plain', handler('plain'))
  // The same, answered one event loop turn later, as a handler that awaits I/O (Redis) does.
  const plain = handler('plain-deferred')
  app.get('/plain-deferred', (req, res, next) => {
    setImmediate(() => plain(req, res, next))
  })
  // Both caches as their READMEs show them: cacheguard over the app's Redis, and over memory.
  const overRedis = createCache({ store: redisStore(redis, { prefix }) })
  app.get('/cacheguard-redis', expressCache(overRedis, { ttl: '10m' }), handler('cacheguard-redis'))
  const inMemory = createCache({ store: memoryStore() })
  app.get(
    '/cacheguard-memory',
    expressCache(inMemory, { ttl: '10m' }),
    handler('cacheguard-memory'),
  )
  // Every request revalidated: `no-cache`, and Express's own ETag, so that each run is a
  // conditional request that res.send answers 304 (the cache then sends its stored body).
  let conditionalRuns = 0
  const revalidated = handler('cacheguard-revalidated')
  app.get('/cacheguard-revalidated', expressCache(overRedis), (req, res, next) => {
    if (req.headers['if-none-match'] !== undefined) conditionalRuns++
    res.set('Cache-Control', 'no-cache')
    revalidated(req, res, next)
  })
  // apicache as its README recommends: `apicache.middleware` with a duration, its memory store.
  app.get('/apicache', apicache.middleware('10 minutes'), handler('apicache'))

  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  await redis.ping()
  const send = (message: FromChild) => process.send?.(message)
  process.on('message', (message: ToChild) => {
    if ('runs' in message) send({ runs, conditionalRuns })
    else if ('cpu' in message) {
      const { user, system } = process.cpuUsage()
      send({ cpu: user + system })
    } else if ('exit' in message) {
      server.closeAllConnections()
      server.close()
      void redis.quit().then(() => process.disconnect())
    }
  })
  send({ ready: (server.address() as AddressInfo).port })
}
