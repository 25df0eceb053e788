// What the routes of this example share in one server process: the cache (in Redis when it
// answers, in memory otherwise) and the stand-in product database.
import { type Cache, type CacheStore, createCache, memoryStore } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { productDb } from '../product-db.js'
import { connectIfAnswering } from '../storm/redis-probe.js'

/** The cache and the database every route of the process uses. */
export interface Shop {
  readonly cache: Cache
  /** Stands in for the database: 100 products, each query takes 100 ms and is counted. */
  readonly db: ReturnType<typeof productDb>
}

async function openShop(): Promise<Shop> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  const redis = await connectIfAnswering(redisUrl)
  // One prefix for every process: `next start` on several machines shares the cached pages.
  const prefix = process.env.CACHE_PREFIX ?? 'next:http:'
  const store: CacheStore = redis ? redisStore(redis, { prefix }) : memoryStore()
  console.log(redis ? `store: Redis at ${redisUrl} (keys under ${prefix})` : 'store: memory')
  return { cache: createCache({ store }), db: productDb() }
}

// Kept on globalThis, not only in a module variable: `next dev` evaluates an edited module again,
// and each evaluation would open another cache and another Redis connection. (Restart the server
// to change the store.)
const shared = globalThis as typeof globalThis & { cacheguardShop?: Promise<Shop> }
shared.cacheguardShop ??= openShop()

/** The process's shop, opened when the first route that uses it is loaded. */
export const shop: Promise<Shop> = shared.cacheguardShop
