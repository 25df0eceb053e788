// One server of the Hono benchmark (bench/http-hono.ts), in a process of its own so that the load
// generator never shares its event loop: Hono 4 on @hono/node-server, one route per contender,
// each sending the same JSON body (bench/lib/http-body.ts), at once or after 20 ms.
//   hono-server.ts <redis url> <prefix>
// Child to parent: { ready: port } once listening; { runs } when asked with { runs: true }; { cpu }
// (this process's CPU time so far, in µs) when asked with { cpu: true }.
// Parent to child: { runs: true } or { cpu: true }, then { exit: true } at the end.
import type { AddressInfo } from 'node:net'
import { createCache, memoryStore } from '@cacheguard/core'
import { honoCache } from '@cacheguard/hono'
import { redisStore } from '@cacheguard/redis'
import { serve } from '@hono/node-server'
import { type Context, Hono } from 'hono'
import { Redis } from 'ioredis'
import { BODY } from './http-body.js'

/** The routes, one per contender; the `plain` ones have no cache; `-20ms` handlers wait 20 ms. */
export const HONO_ROUTES = [
  'plain',
  'plain-20ms',
  'cached-redis',
  'cached-redis-20ms',
  'cached-memory',
] as const
export type HonoRoute = (typeof HONO_ROUTES)[number]

export type HonoToChild = { runs: true } | { cpu: true } | { exit: true }
export type HonoFromChild =
  | { ready: number }
  | { runs: Record<HonoRoute, number> }
  | { cpu: number }

// The parent imports the names above alone (`import type`), so what follows runs only here.
if (process.send !== undefined) await start()

async function start(): Promise<void> {
  const [url, prefix] = process.argv.slice(2) as [string, string]
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  const runs = Object.fromEntries(HONO_ROUTES.map((route) => [route, 0])) as Record<
    HonoRoute,
    number
  >
  const handler = (route: HonoRoute, waitMs: number) => async (c: Context) => {
    runs[route]++
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs))
    return c.json(BODY)
  }
  const overRedis = honoCache(createCache({ store: redisStore(redis, { prefix }) }), { ttl: '10m' })
  const inMemory = honoCache(createCache({ store: memoryStore() }), { ttl: '10m' })
  const app = new Hono()
  app.get('/plain', handler('plain', 0))
  app.get('/plain-20ms', handler('plain-20ms', 20))
  app.get('/cached-redis', overRedis, handler('cached-redis', 0))
  app.get('/cached-redis-20ms', overRedis, handler('cached-redis-20ms', 20))
  app.get('/cached-memory', inMemory, handler('cached-memory', 0))

  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(started),
    )
  })
  await redis.ping()
  const send = (message: HonoFromChild) => process.send?.(message)
  process.on('message', (message: HonoToChild) => {
    if ('runs' in message) send({ runs })
    else if ('cpu' in message) {
      const { user, system } = process.cpuUsage()
      send({ cpu: user + system })
    } else if ('exit' in message) {
      server.close()
      void redis.quit().then(() => process.disconnect())
    }
  })
  send({ ready: (server.address() as AddressInfo).port })
}
