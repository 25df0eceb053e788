import { createCache } from '@cacheguard/core'
import { runStoreConformance } from '@cacheguard/core/testing'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectRedis, uniquePrefix, unreachableRedis } from '../../../test/helpers/redis.js'
import { type RedisCluster, startRedisCluster } from '../../../test/helpers/redis-cluster.js'
import { redisStore } from './redis-store.js'

const redis = connectRedis()
const pipelined = connectRedis(undefined, true)
const prefix = uniquePrefix('redis-store')

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

runStoreConformance({
  name: 'redisStore',
  store: () => redisStore(redis, { prefix }),
  jitterKeys: 1000,
})

runStoreConformance({
  name: 'redisStore (auto-pipelining client)',
  store: () => redisStore(pipelined, { prefix }),
})

describe('redisStore | Redis Cluster', () => {
  let cluster: RedisCluster
  let client: Cluster
  beforeAll(async () => {
    cluster = await startRedisCluster(3)
    client = cluster.connect()
  })
  afterAll(async () => {
    await client?.quit().catch(() => client.disconnect())
    await cluster?.stop()
  })

  runStoreConformance({ name: 'redisStore on a 3-master Cluster', store: () => redisStore(client) })

  it('spreads keys over all three masters', async () => {
    const store = redisStore(client, { prefix: 'spread:' })
    await store.setMany!(
      Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: 'v', ttlMs: 10_000 })),
    )
    const counts = await Promise.all(client.nodes('master').map((node) => node.dbsize()))
    expect(counts).toHaveLength(3)
    expect(counts.every((count) => count > 0)).toBe(true)
  })

  it("fences through a client with its own keyPrefix: the counter follows the sent key's slot", async () => {
    const prefixed = new Cluster([...cluster.nodes], {
      keyPrefix: 'kp:',
      redisOptions: { maxRetriesPerRequest: 1 },
    })
    prefixed.on('error', () => {})
    try {
      const store = redisStore(prefixed, { prefix: 'app:' })
      const entry = (fence: number) => `cg2|9999999999999|9999999999999|1|5|${fence}|v"${fence}"`
      for (const key of ['user:1', 'order:2', '{tenant}:user:3']) {
        const fence = await store.nextFence!(key)
        expect(await store.setFenced!(key, entry(fence), 10_000, fence)).toBe(true)
        expect(await store.setFenced!(key, entry(fence - 1), 10_000, fence - 1)).toBe(false)
        expect(await store.get(key)).toBe(entry(fence))
      }
    } finally {
      prefixed.disconnect()
    }
  })
})

describe('redisStore | key layout', () => {
  it('writes under the prefix and leaves other keys alone', async () => {
    const store = redisStore(redis, { prefix })
    await redis.set(`${prefix}other`, 'theirs')
    const cache = createCache({ store, namespace: 'users' })
    await cache.set('42', { name: 'Ada' })
    expect(await redis.get(`${prefix}users:42`)).toMatch(
      /^cg2\|\d+\|\d+\|\d+\|\d+\|0\|v\{"name":"Ada"\}$/,
    )
    await cache.delete('42')
    expect(await redis.get(`${prefix}other`)).toBe('theirs')
  })

  it('rejects something that is not an ioredis client', () => {
    expect(() => redisStore({} as never)).toThrow(
      'Expected `client` to be an ioredis Redis or Cluster instance',
    )
  })
})

describe('redisStore | readiness', () => {
  it("is ready while its client's status is 'ready', and not before it has connected", async () => {
    await redis.ping()
    expect(redisStore(redis).ready?.()).toBe(true)
    const idle = unreachableRedis()
    expect(idle.status).toBe('wait')
    expect(redisStore(idle).ready?.()).toBe(false)
    idle.disconnect()
  })
})
