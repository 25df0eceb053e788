// The README's example: wrap the ioredis client you already have. Run with
// `pnpm --filter @cacheguard/examples exec tsx --conditions=cacheguard-source wrap-ioredis.ts`.
import { createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { Redis } from 'ioredis'

const db = { findUser: async (id: number) => ({ id, name: `user ${id}` }) }
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') // yours, not ours
const cache = createCache({
  store: redisStore(redis, { prefix: `example:${process.pid}:` }),
  ttl: '5m',
  grace: '1h',
})

const id = 42
const users = await Promise.all(
  Array.from({ length: 100 }, () => cache.getOrSet(`user:${id}`, () => db.findUser(id))),
)
console.log(
  users[0],
  'loaded once for',
  users.length,
  'concurrent calls:',
  cache.stats().loads === 1,
)
console.log(
  await cache.getOrSet(`user:${id}`, () => db.findUser(id)),
  'from Redis:',
  cache.stats().hits === 1,
)

await cache.delete(`user:${id}`)
await redis.quit()
