import type { CacheStore } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { afterAll } from 'vitest'
import { connectRedis, uniquePrefix } from './redis.js'

/**
 * Returns a factory of Redis stores over the test Redis, each under a prefix of its own, so tests
 * share no keys; the keys are deleted after the file's tests. Call it at a test file's top level.
 */
export function redisStores(label: string): () => CacheStore {
  const redis = connectRedis()
  const prefix = uniquePrefix(label)
  let n = 0
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(keys)
  })
  return () => redisStore(redis, { prefix: `${prefix}${++n}:` })
}
