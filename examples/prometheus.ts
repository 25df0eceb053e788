// The @cacheguard/prometheus README example: a cache's stats and events on a /metrics endpoint,
// scraped once after some traffic. Needs Redis (REDIS_URL).
//   npx tsx --conditions=cacheguard-source examples/prometheus.ts
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createCache } from '@cacheguard/core'
import { cacheMetrics } from '@cacheguard/prometheus'
import { redisStore } from '@cacheguard/redis'
import { warmup } from '@cacheguard/warmup'
import { Redis } from 'ioredis'
import { register } from 'prom-client'

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const store = redisStore(redis, { prefix: 'example:' })
const cache = createCache({ store, namespace: 'users', ttl: '5m' })
const metrics = cacheMetrics(cache) // on prom-client's default register, labelled cache="users"

const server = createServer(async (_req, res) => {
  res.setHeader('content-type', register.contentType)
  res.end(await register.metrics())
})
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1')
await new Promise((resolve) => server.once('listening', resolve))

// Some traffic: one load and nine hits, a loader that fails, a warmup run.
const db = { findUser: async (id: string) => ({ id, name: 'Ada' }) }
await Promise.all(['user:1', 'user:2', 'user:3'].map((key) => cache.delete(key)))
for (let i = 0; i < 10; i++) await cache.getOrSet('user:1', () => db.findUser('1'))
await cache
  .getOrSet('user:404', () => Promise.reject(new Error('connection reset')))
  .catch(() => {})
metrics.observeWarmup(
  await warmup(cache, { keys: ['user:2', 'user:3'], load: (key) => db.findUser(key.slice(5)) }),
)

// What Prometheus would scrape.
const { port } = server.address() as AddressInfo
const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
for (const line of body.split('\n')) {
  if (/^cacheguard_(hits|misses|loads|errors|warmup_runs|warmup_keys)_total\{/.test(line)) {
    console.log(line)
  }
}

metrics.close()
server.closeAllConnections()
server.close()
await redis.quit()
