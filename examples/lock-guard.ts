// The @cacheguard/lock README example: two caches (as two processes would have) share one Redis;
// 20 concurrent misses on each run the loader once in total. Needs Redis (REDIS_URL).
//   npx tsx --conditions=cacheguard-source examples/lock-guard.ts
import { createCache } from '@cacheguard/core'
import { lockGuard } from '@cacheguard/lock'
import { redisStore } from '@cacheguard/redis'
import { Redlock } from '@sesamecare-oss/redlock'
import { Redis } from 'ioredis'

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const redlock = new Redlock([redis])
let queries = 0
const db = {
  findUser: async (id: string) => {
    queries++
    await new Promise((resolve) => setTimeout(resolve, 100))
    return { id, name: 'Ada' }
  },
}

function appInstance() {
  const subscriber = redis.duplicate()
  const guard = lockGuard({ redlock, redis, subscriber, lockTtl: '5s', waitTimeout: '5s' })
  const cache = createCache({ store: redisStore(redis, { prefix: 'example:' }), guards: [guard] })
  return { cache, guard, close: () => guard.close().then(() => subscriber.quit()) }
}

const instances = [appInstance(), appInstance()]
await Promise.all(instances.map(({ guard }) => guard.ready()))
await instances[0]!.cache.delete('user:1')
const users = await Promise.all(
  instances.flatMap(({ cache }) =>
    Array.from({ length: 20 }, () => cache.getOrSet('user:1', () => db.findUser('1'))),
  ),
)
console.log(`callers: ${users.length}, database queries: ${queries}`) // callers: 40, database queries: 1
console.log(instances.map(({ guard }) => guard.stats()))
await Promise.all(instances.map((instance) => instance.close()))
await redis.quit()
