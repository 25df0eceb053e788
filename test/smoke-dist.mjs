// Imports the BUILT packages (dist/) under plain Node's ESM loader, without the source condition,
// and exercises them once: a package can import fine under vitest and fail here.
import assert from 'node:assert/strict'
import { bloomGuard, memoryBloom } from '@cacheguard/bloom'
import { CacheGuardError, createCache, memoryStore } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { warmup } from '@cacheguard/warmup'
import { Redis } from 'ioredis'

const memory = createCache({ store: memoryStore({ policy: 'lfu' }) })
let loads = 0
const load = async () => {
  loads++
  return { id: 1 }
}
const values = await Promise.all(Array.from({ length: 100 }, () => memory.getOrSet('user:1', load)))
assert.equal(loads, 1)
assert.deepEqual(values[99], { id: 1 })
await assert.rejects(memory.getOrSet('', load), (error) => error instanceof CacheGuardError)

// bloom-filters is CommonJS: this proves our import of it works under Node's own ESM loader.
const filter = memoryBloom({ capacity: 1000, errorRate: 0.01 })
filter.add('user:1')
const guarded = createCache({ guards: [bloomGuard({ filter })] })
assert.deepEqual(await guarded.getOrSet('user:1', load), { id: 1 })
assert.equal(await guarded.getOrSet('user:2', load), undefined)
assert.equal(guarded.stats().blocked, 1)

const warmed = await warmup(memory, { keys: ['user:7', 'user:8'], load: async (key) => ({ key }) })
assert.equal(warmed.loaded, 2)

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: 1,
})
try {
  const cache = createCache({ store: redisStore(redis, { prefix: `smoke:${process.pid}:` }) })
  assert.deepEqual(await cache.getOrSet('user:1', load), { id: 1 })
  assert.deepEqual(await cache.get('user:1'), { id: 1 })
  assert.equal(await cache.delete('user:1'), true)
} finally {
  await redis.quit()
}
console.log('smoke: the built packages work under plain node')
