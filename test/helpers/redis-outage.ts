import type { StoreOutage } from '@cacheguard/http/testing'
import { redisStore } from '@cacheguard/redis'
import { Redis } from 'ioredis'
import { onTestFinished } from 'vitest'
import { type RedisServer, startRedisServer } from './redis-server.js'

/**
 * For the HTTP scenario suite's outage scenario: a store over a redis-server of the test's own,
 * which the scenario stops and starts again on the same port. Its client fails commands at once
 * while the server is away (no offline queue) and reconnects every 50 ms. Everything is stopped
 * when the test finishes.
 */
export async function redisOutage(): Promise<StoreOutage> {
  let server: RedisServer = await startRedisServer()
  const redis = new Redis(server.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 50,
  })
  redis.on('error', () => {})
  const ready = async () => {
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve))
  }
  await ready()
  onTestFinished(async () => {
    redis.disconnect()
    await server.stop()
  })
  return {
    store: redisStore(redis, { prefix: 'outage:' }),
    stop: () => server.stop(),
    async start() {
      server = await startRedisServer([], server.port)
      await ready()
    },
  }
}
