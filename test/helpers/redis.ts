import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, inject } from 'vitest'

/** The Redis URL the global setup found or started. */
export function redisUrl(): string {
  return inject('redisUrl')
}

/**
 * Opens an ioredis client to the test Redis (or `url`) and quits it after the file's tests.
 */
export function connectRedis(url = redisUrl(), enableAutoPipelining = false): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1, enableAutoPipelining })
  client.on('error', () => {})
  afterAll(async () => {
    if (client.status !== 'end') await client.quit().catch(() => client.disconnect())
  })
  return client
}

/** A prefix no other test run or test file uses, so files can share one Redis. */
export function uniquePrefix(label: string): string {
  return `cgtest:${label}:${randomUUID().slice(0, 8)}:`
}

/**
 * A client of a Redis that is not there (port 1): it never connects and never retries, and its
 * commands fail at once; `enableOfflineQueue: false` makes them fail without waiting for it.
 */
export function unreachableRedis(options: { enableOfflineQueue?: boolean } = {}): Redis {
  const client = new Redis({
    port: 1,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...options,
  })
  client.on('error', () => {})
  return client
}
