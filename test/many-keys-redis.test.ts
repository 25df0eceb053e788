// getMany, setMany and deleteMany on a real Redis (issue 16, item 4): one batch each, whatever
// the number of keys.
import { afterAll, describe, expect, it } from 'vitest'
import { batchLoader, type CacheStore, createCache, redisStore } from './helpers/packages.js'
import { connectRedis, uniquePrefix } from './helpers/redis.js'

const redis = connectRedis()
const prefix = uniquePrefix('many-keys')
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

describe('many keys over Redis', () => {
  it('reads 51 keys in one MGET, and writes 50 keys with every command sent before the first answer', async () => {
    const inner = redisStore(redis, { prefix })
    const log: string[] = []
    const logged: CacheStore = {
      ...inner,
      get: (key) => {
        log.push('get')
        return inner.get(key).finally(() => log.push('answer'))
      },
      getMany: (keys) => {
        log.push(`getMany ${keys.length}`)
        return inner.getMany!(keys).finally(() => log.push('answer'))
      },
      set: (key, value, ttl) => {
        log.push('set')
        return inner.set(key, value, ttl).finally(() => log.push('answer'))
      },
      setMany: (entries) => {
        log.push(`setMany ${entries.length}`)
        return inner.setMany!(entries).finally(() => log.push('answer'))
      },
    }
    const cache = createCache({ store: logged })
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`)
    await cache.setMany(keys.map((key, i) => [key, { i }] as const))
    expect(log).toEqual(['set', 'setMany 49', 'answer', 'answer'])
    log.length = 0
    const values = await cache.getMany([...keys, 'absent'])
    // getMany knows every key before it reads: one command for all, none sent alone.
    expect(log).toEqual(['getMany 51', 'answer'])
    expect(values).toEqual([...keys.map((_, i) => ({ i })), undefined])
    expect(await cache.deleteMany(keys.slice(0, 10))).toBe(10)
    expect(await redis.exists(...keys.slice(0, 10).map((key) => `${prefix}${key}`))).toBe(0)
  })

  it('batchLoader: 200 cold getOrSet calls of one tick ask each key once, in at most ceil(200 / maxBatch) + 1 loadMany calls', async () => {
    const cache = createCache({ store: redisStore(redis, { prefix: `${prefix}batch:` }) })
    const calls: number[] = []
    const users = batchLoader(
      async (ids) => {
        calls.push(ids.length)
        return new Map(ids.map((id) => [id, { id }]))
      },
      { maxBatch: 64 },
    )
    const ids = Array.from({ length: 200 }, (_, i) => String(i))
    const values = await Promise.all(ids.map((id) => cache.getOrSet(`user:${id}`, users(id))))
    expect(values).toEqual(ids.map((id) => ({ id })))
    // Over a remote store the first read of a tick goes out alone (same-tick.ts), and its answer
    // may come back before the batch's: its load is then a loadMany call of its own.
    expect(calls.reduce((sum, n) => sum + n, 0)).toBe(200)
    expect(calls.length).toBeLessThanOrEqual(Math.ceil(200 / 64) + 1)
    expect(Math.max(...calls)).toBe(64)
  })
})
