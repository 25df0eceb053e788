// The stand-in database of the HTTP examples (express-redis, hono): products 1 to 100, each query
// taking 100 ms and counted, so an example can show how many reached the "database".

/** A product row. */
export interface Product {
  id: number
  name: string
  price: number
}

/** A fresh stand-in database: 100 products priced 10 to 109, each query 100 ms. */
export function productDb() {
  const db = {
    /** Queries sent so far. */
    queries: 0,
    prices: new Map(Array.from({ length: 100 }, (_, i) => [i + 1, 10 + i])),
    /** The product with this id, or `undefined`. */
    async findProduct(id: number): Promise<Product | undefined> {
      db.queries++
      await new Promise((resolve) => setTimeout(resolve, 100))
      const price = db.prices.get(id)
      return price === undefined ? undefined : { id, name: `Product ${id}`, price }
    },
  }
  return db
}
