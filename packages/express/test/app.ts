// An Express app with expressCache in front of its routes, over the test Redis.
import { type CacheOptions, createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import type { Express } from 'express'
import type { Redis } from 'ioredis'
import { afterAll } from 'vitest'
import { connectRedis, uniquePrefix } from '../../../test/helpers/redis.js'
import { type ExpressCacheOptions, expressCache } from '../src/index.js'
import { express } from './express.js'

export interface CachedApps {
  redis: Redis
  prefix: string
  /** A new app with the cache as its first middleware, unless `before` adds some in front. */
  cachedApp(
    options?: ExpressCacheOptions,
    cacheOptions?: CacheOptions,
    before?: (app: Express) => void,
  ): Express
}

/**
 * Connects to Redis for a test file and returns `cachedApp`, which builds an app (of `framework`:
 * Express 5 unless told) whose cache has keys of its own (the file's keys are deleted after its
 * tests). Call it at the file's top level.
 */
export function cachedApps(label: string, framework: typeof express = express): CachedApps {
  const redis = connectRedis()
  const prefix = uniquePrefix(label)
  let apps = 0
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(keys)
  })
  return {
    redis,
    prefix,
    cachedApp(options = {}, cacheOptions = {}, before) {
      const store = redisStore(redis, { prefix: `${prefix}${++apps}:` })
      // The tests count handler runs exactly: a Redis call held up by a busy machine must not
      // time out (the default is 500 ms) and turn into an extra run.
      const cache = createCache({ store, jitter: 0, storeTimeout: '5s', ...cacheOptions })
      const app = framework()
      before?.(app)
      app.use(expressCache(cache, options))
      return app
    },
  }
}
