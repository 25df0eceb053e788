import { Redis } from 'ioredis'

/**
 * Connects to the Redis a benchmark measures against (`REDIS_URL`, default 127.0.0.1:6379), or
 * exits with a one-line message naming `what` needs it: a benchmark never falls back silently.
 */
export async function connectBenchRedis(what: string): Promise<{ redis: Redis; url: string }> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
  } catch {
    console.error(`No Redis answers at ${url}: ${what} needs one (set REDIS_URL).`)
    redis.disconnect()
    process.exit(1)
  }
  return { redis, url }
}

/**
 * Deletes every key matching one of `patterns` (`SCAN` + `UNLINK` in batches, so a large run's
 * leftovers never block the server as one `KEYS` would); returns how many were deleted.
 *
 * @example
 * await deleteKeys(redis, `${prefix}*`, `{${prefix}*`)
 */
export async function deleteKeys(redis: Redis, ...patterns: string[]): Promise<number> {
  let deleted = 0
  for (const pattern of patterns) {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      if (keys.length > 0) deleted += await redis.unlink(...keys)
      cursor = next
    } while (cursor !== '0')
  }
  return deleted
}
