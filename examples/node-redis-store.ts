// The @cacheguard/node-redis README example: a cache over the node-redis client you already have,
// then the guards beside it (a memory Bloom filter; a lock over an ioredis connection for Redlock,
// fenced through this store). Needs Redis (REDIS_URL, else 127.0.0.1:6379).
//   npx tsx --conditions=cacheguard-source examples/node-redis-store.ts
import { bloomGuard, memoryBloom, seedBloom } from '@cacheguard/bloom'
import { createCache, fenceOf } from '@cacheguard/core'
import { lockGuard } from '@cacheguard/lock'
import { nodeRedisStore } from '@cacheguard/node-redis'
import { Redlock } from '@sesamecare-oss/redlock'
import { Redis } from 'ioredis'
import { createClient } from 'redis'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
// Yours, not ours: cacheguard never connects or closes it. node-redis needs an 'error' listener.
const redis = await createClient({ url })
  .on('error', (error: Error) => console.error('redis:', error.message))
  .connect()
const prefix = 'example:node-redis:'

let queries = 0
const db = {
  async findUser(id: string) {
    queries++
    await new Promise((resolve) => setTimeout(resolve, 50))
    return Number(id) < 1000 ? { id, name: `user ${id}` } : null
  },
}

// 1. The store: 100 concurrent misses run one query; the call after them is a hit.
const cache = createCache({ store: nodeRedisStore(redis, { prefix }), ttl: '5m' })
await cache.delete('user:1')
const users = await Promise.all(
  Array.from({ length: 100 }, () => cache.getOrSet('user:1', () => db.findUser('1'))),
)
const again = await cache.getOrSet('user:1', () => db.findUser('1'))
console.log(again, `callers: ${users.length + 1}, database queries: ${queries}`)

// 2. Guards. redisBloom and Redlock take ioredis clients: the filter stays in memory, and the lock
// gets an ioredis connection of its own. Two caches stand for two processes sharing Redis.
const lockRedis = new Redis(url)
const redlock = new Redlock([lockRedis])
const filter = memoryBloom({ capacity: 10_000 })
await seedBloom(
  filter,
  Array.from({ length: 1000 }, (_, i) => String(i)),
)
const instance = () =>
  createCache({
    store: nodeRedisStore(redis, { prefix }),
    guards: [
      bloomGuard({ filter, key: (key) => key.slice('user:'.length) }),
      lockGuard({ redlock }),
    ],
  })
const fleet = [instance(), instance()]
queries = 0
await fleet[0]!.delete('user:2')
const fleetUsers = await Promise.all(
  fleet.flatMap((c) =>
    Array.from({ length: 20 }, () => c.getOrSet('user:2', () => db.findUser('2'))),
  ),
)
const fence = fenceOf((await redis.get(`${prefix}user:2`)) ?? '')
console.log(
  `lockGuard: callers: ${fleetUsers.length}, database queries: ${queries}, fence: ${fence}`,
)
const unknown = await fleet[0]!.getOrSet('user:99999', () => db.findUser('99999'))
console.log(
  `bloomGuard: ${unknown}, blocked: ${fleet[0]!.stats().blocked}, database queries: ${queries}`,
)

for await (const keys of redis.scanIterator({ MATCH: `${prefix}*` })) {
  if (keys.length > 0) await redis.del(keys)
}
await lockRedis.quit()
await redis.close()
