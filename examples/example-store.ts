// The store an example server caches in: Redis at REDIS_URL when it answers, memory otherwise
// (so the example runs anywhere), under CACHE_PREFIX. It says which on stdout.
import { type CacheStore, memoryStore } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import type { Redis } from 'ioredis'
import { connectIfAnswering } from './storm/redis-probe.js'

/**
 * Opens the example's store: Redis at `REDIS_URL` (default `redis://127.0.0.1:6379`) when it
 * answers, under `CACHE_PREFIX` (default `defaultPrefix`), else memory. `redis` is the client to
 * quit at the end, if any.
 *
 * @example
 * const { store, redis } = await exampleStore(`hono:${process.pid}:`)
 */
export async function exampleStore(
  defaultPrefix: string,
): Promise<{ store: CacheStore; redis: Redis | undefined }> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  const redis = await connectIfAnswering(url)
  const prefix = process.env.CACHE_PREFIX ?? defaultPrefix
  console.log(redis ? `store: Redis at ${url} (keys under ${prefix})` : 'store: memory')
  return { store: redis ? redisStore(redis, { prefix }) : memoryStore(), redis }
}
