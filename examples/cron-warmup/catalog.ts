// The app's cache and its source of truth, shared by the job (for the CLI) and the schedule.
// A real app would import its own cache module and database client here.
import { type Cache, createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import type { Redis } from 'ioredis'

/** The products a warmup fills: ids 0 to 199. */
export const productIds = Array.from({ length: 200 }, (_, i) => `product:${i}`)

/** Stands in for the database: one product by key, after 2 ms. */
export async function findProduct(key: string): Promise<{ id: string; price: number }> {
  await new Promise((resolve) => setTimeout(resolve, 2))
  return { id: key.slice('product:'.length), price: 100 + key.length }
}

/** The app's cache over Redis: ten-minute TTLs, jittered so warmed keys never expire together. */
export function productCache(redis: Redis, prefix = 'shop:'): Cache {
  return createCache({ store: redisStore(redis, { prefix }), ttl: '10m', jitter: 0.1, grace: '1h' })
}
