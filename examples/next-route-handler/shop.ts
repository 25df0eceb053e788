// What the routes of this example share in one server process: the cache (in Redis when it
// answers, in memory otherwise) and the stand-in product database.
import { type Cache, createCache } from '@cacheguard/core'
import { exampleStore } from '../example-store.js'
import { productDb } from '../product-db.js'

/** The cache and the database every route of the process uses. */
export interface Shop {
  readonly cache: Cache
  /** Stands in for the database: 100 products, each query takes 100 ms and is counted. */
  readonly db: ReturnType<typeof productDb>
}

async function openShop(): Promise<Shop> {
  // One prefix for every process: `next start` on several machines shares the cached pages.
  const { store } = await exampleStore('next:http:')
  return { cache: createCache({ store }), db: productDb() }
}

// Kept on globalThis, not only in a module variable: `next dev` evaluates an edited module again,
// and each evaluation would open another cache and another Redis connection. (Restart the server
// to change the store.)
const shared = globalThis as typeof globalThis & { cacheguardShop?: Promise<Shop> }
shared.cacheguardShop ??= openShop()

/** The process's shop, opened when the first route that uses it is loaded. */
export const shop: Promise<Shop> = shared.cacheguardShop
