// Stands in for the database behind the API: 30 ms a query, and a count of the queries.

export interface Product {
  id: number
  name: string
  price: number
  version: number
}

/** A 1×1 PNG: a binary body, returned base64-encoded through API Gateway. */
export const productImage = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
)

const products = new Map<number, Product>(
  Array.from({ length: 100 }, (_, i) => {
    const id = i + 1
    return [id, { id, name: `Product ${id}`, price: 10 + id, version: 1 }]
  }),
)

export const catalog = {
  /** How many queries reached the database. */
  queries: 0,

  async find(id: number): Promise<Product | undefined> {
    catalog.queries++
    await new Promise((resolve) => setTimeout(resolve, 30))
    const product = products.get(id)
    return product === undefined ? undefined : { ...product }
  },

  async setPrice(id: number, price: number): Promise<Product | undefined> {
    catalog.queries++
    await new Promise((resolve) => setTimeout(resolve, 30))
    const product = products.get(id)
    if (product === undefined) return undefined
    product.price = price
    product.version++
    return { ...product }
  },
}
