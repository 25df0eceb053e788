// The README's example: wrap the ioredis client you already have. Run with
// `pnpm --filter @cacheguard/examples exec tsx --conditions=cacheguard-source wrap-ioredis.ts`.
import { createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { Redis } from 'ioredis'

const db = {
  queries: 0,
  async findUser(id: number) {
    this.queries++
    return { id, name: `user ${id}` }
  },
}

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') // yours, not ours
const cache = createCache({
  store: redisStore(redis, { prefix: `example:${process.pid}:` }),
  ttl: '5m',
  grace: '1h',
})

// 100 concurrent calls for a key nobody cached yet: one query, everyone gets the user.
const id = 42
const users = await Promise.all(
  Array.from({ length: 100 }, () => cache.getOrSet(`user:${id}`, () => db.findUser(id))),
)
// Once more: now Redis answers, and the database is left alone.
const again = await cache.getOrSet(`user:${id}`, () => db.findUser(id))
console.log(users[0], again, `calls: ${users.length + 1}, database queries: ${db.queries}`)
console.log(cache.stats())

await cache.delete(`user:${id}`)
await redis.quit()
