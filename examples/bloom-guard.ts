// The @cacheguard/bloom README example: unknown ids never reach the loader.
import { bloomGuard, memoryBloom, seedBloom } from '@cacheguard/bloom'
import { createCache } from '@cacheguard/core'

const db = { findUser: async (id: string) => (Number(id) < 1000 ? { id } : null) }
const filter = memoryBloom({ capacity: 10_000, errorRate: 0.01 })
await seedBloom(
  filter,
  Array.from({ length: 1000 }, (_, i) => String(i)),
)

const cache = createCache({ guards: [bloomGuard({ filter, key: (k) => k.slice(5) })] })
console.log(await cache.getOrSet('user:7', () => db.findUser('7'))) // { id: '7' }
console.log(await cache.getOrSet('user:99999', () => db.findUser('99999'))) // undefined, no query
console.log(cache.stats().blocked) // 1
