// One server of the framework benchmark (bench/http-frameworks.ts), in a process of its own so
// that the load generator never shares its event loop: Hono 4 on @hono/node-server, or Fastify 5,
// one route per contender, each sending the same JSON body (bench/lib/http-body.ts), at once or
// after 20 ms.
//   framework-server.ts <hono | fastify> <redis url> <prefix>
// Child to parent: { ready: port } once listening; { runs } when asked with { runs: true }; { cpu }
// (this process's CPU time so far, in µs) when asked with { cpu: true }.
// Parent to child: { runs: true } or { cpu: true }, then { exit: true } at the end.
import type { AddressInfo } from 'node:net'
import { type Cache, createCache, memoryStore } from '@cacheguard/core'
import { fastifyCache } from '@cacheguard/fastify'
import { honoCache } from '@cacheguard/hono'
import { redisStore } from '@cacheguard/redis'
import { serve } from '@hono/node-server'
import Fastify from 'fastify'
import { type Context, Hono } from 'hono'
import { Redis } from 'ioredis'
import { BODY } from './http-body.js'

/** The frameworks measured. */
export const FRAMEWORKS = ['hono', 'fastify'] as const
export type Framework = (typeof FRAMEWORKS)[number]

/** The routes, one per contender; the `plain` ones have no cache; `-20ms` handlers wait 20 ms. */
export const ROUTES = [
  'plain',
  'plain-20ms',
  'cached-redis',
  'cached-redis-20ms',
  'cached-memory',
] as const
export type Route = (typeof ROUTES)[number]

export type ToChild = { runs: true } | { cpu: true } | { exit: true }
export type FromChild = { ready: number } | { runs: Record<Route, number> } | { cpu: number }

/** Which cache a route answers from (none for the plain ones), and how long its handler waits. */
const ROUTE_SETUP: Record<Route, { cache?: 'redis' | 'memory'; waitMs: number }> = {
  plain: { waitMs: 0 },
  'plain-20ms': { waitMs: 20 },
  'cached-redis': { cache: 'redis', waitMs: 0 },
  'cached-redis-20ms': { cache: 'redis', waitMs: 20 },
  'cached-memory': { cache: 'memory', waitMs: 0 },
}

// The parent imports the names above alone (`import type`), so what follows runs only here.
if (process.send !== undefined) await start()

async function start(): Promise<void> {
  const [framework, url, prefix] = process.argv.slice(2) as [Framework, string, string]
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  const caches = {
    redis: createCache({ store: redisStore(redis, { prefix }) }),
    memory: createCache({ store: memoryStore() }),
  }
  const runs = Object.fromEntries(ROUTES.map((route) => [route, 0])) as Record<Route, number>
  /** Counts a run of `route`'s handler, and waits as it does. */
  const work = async (route: Route) => {
    runs[route]++
    const { waitMs } = ROUTE_SETUP[route]
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs))
  }
  const listen = framework === 'hono' ? listenHono : listenFastify
  const { port, close } = await listen(caches, work)
  await redis.ping()
  const send = (message: FromChild) => process.send?.(message)
  process.on('message', (message: ToChild) => {
    if ('runs' in message) send({ runs })
    else if ('cpu' in message) {
      const { user, system } = process.cpuUsage()
      send({ cpu: user + system })
    } else if ('exit' in message) {
      void close()
        .then(() => redis.quit())
        .then(() => process.disconnect())
    }
  })
  send({ ready: port })
}

type Listening = { port: number; close: () => Promise<unknown> }
type Caches = Record<'redis' | 'memory', Cache>

async function listenHono(
  caches: Caches,
  work: (route: Route) => Promise<void>,
): Promise<Listening> {
  const app = new Hono()
  const cached = {
    redis: honoCache(caches.redis, { ttl: '10m' }),
    memory: honoCache(caches.memory, { ttl: '10m' }),
  }
  for (const route of ROUTES) {
    const handler = async (c: Context) => {
      await work(route)
      return c.json(BODY)
    }
    const { cache } = ROUTE_SETUP[route]
    if (cache === undefined) app.get(`/${route}`, handler)
    else app.get(`/${route}`, cached[cache], handler)
  }
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(started),
    )
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

async function listenFastify(
  caches: Caches,
  work: (route: Route) => Promise<void>,
): Promise<Listening> {
  const app = Fastify()
  // The Redis cache is the plugin's; the memory one a route's own options would not give (they
  // share the plugin's cache), so it sits in a scope of its own with a second registration.
  await app.register(fastifyCache, { cache: caches.redis, ttl: '10m', global: false })
  for (const route of ROUTES) {
    const { cache } = ROUTE_SETUP[route]
    if (cache === 'memory') continue
    app.get(`/${route}`, { config: { cache: cache === 'redis' } }, async () => {
      await work(route)
      return BODY
    })
  }
  await app.register(async (scope) => {
    await scope.register(fastifyCache, { cache: caches.memory, ttl: '10m' })
    scope.get('/cached-memory', async () => {
      await work('cached-memory')
      return BODY
    })
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() }
}
