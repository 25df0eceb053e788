// GET /products/:id through @cacheguard/fetch: concurrent misses run the handler once, its
// Cache-Control decides how long the answer is stored (and served stale while one request
// refreshes it), and unknown ids are stored as 404s. PUT changes a price and drops the cached GET.
import { fetchCache } from '@cacheguard/fetch'
import type { RouteHandler } from '../../../route-handler.js'
import { shop } from '../../../shop.js'

// Every request reaches the wrapped handler; Next's own caching stays out of the way.
export const dynamic = 'force-dynamic'

/** The second argument Next 15 and 16 pass a route handler: its params are a promise. */
interface Context {
  params: Promise<{ id: string }>
}

// Once per server process, before the first request: the cache must outlive every request.
const { cache, db } = await shop

export const GET = fetchCache(
  cache,
  // fetchCache passes the context through to the handler untouched.
  async (_request: Request, { params }: Context) => {
    const product = await db.findProduct(Number((await params).id))
    if (product === undefined) return Response.json({ error: 'no such product' }, { status: 404 })
    // Fresh for 60 s, then served stale for up to 5 minutes while one request refreshes it.
    return Response.json(product, {
      headers: { 'cache-control': 'public, max-age=60, stale-while-revalidate=300' },
    })
  },
  { ttl: '30s', handlerTimeout: '5s' },
) satisfies RouteHandler<{ id: string }>

export const PUT = (async (request: Request, { params }: Context): Promise<Response> => {
  const { price } = (await request.json()) as { price: number }
  db.prices.set(Number((await params).id), Number(price))
  // The cached GET of this URL is dropped, in Redis for every process.
  await GET.invalidate(new URL(request.url).pathname)
  return new Response(null, { status: 204 })
}) satisfies RouteHandler<{ id: string }>
