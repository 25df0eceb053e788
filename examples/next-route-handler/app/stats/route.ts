// Not cached: how many queries reached the database, and the cache's counters.
import { shop } from '../../shop.js'

export const dynamic = 'force-dynamic'

export async function GET(): Promise<Response> {
  const { cache, db } = await shop
  return Response.json({ queries: db.queries, cache: cache.stats() })
}
