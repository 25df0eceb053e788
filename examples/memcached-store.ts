// The @cacheguard/memcached README example: the memjs client you already have, under cacheguard.
// Run with a memcached at MEMCACHED_URL (default 127.0.0.1:11211):
// `pnpm --filter @cacheguard/examples exec tsx --conditions=cacheguard-source memcached-store.ts`.
import { createCache } from '@cacheguard/core'
import { memcachedStore } from '@cacheguard/memcached'
// memjs ships no types, and examples/package.json does not list @types/memjs (yet).
import memjs from 'memjs'

const db = {
  queries: 0,
  async findUser(id: number) {
    this.queries++
    return { id, name: `user ${id}` }
  },
}

const memcached = memjs.Client.create(process.env.MEMCACHED_URL ?? '127.0.0.1:11211') // yours
const cache = createCache({
  store: memcachedStore(memcached, { prefix: `example:${process.pid}:` }),
  ttl: '5m',
})

// 100 concurrent calls for a key nobody cached yet: one query, everyone gets the user.
const users = await Promise.all(
  Array.from({ length: 100 }, () => cache.getOrSet('user:42', () => db.findUser(42))),
)
const again = await cache.getOrSet('user:42', () => db.findUser(42))
console.log(users[0], again, `calls: 101, database queries: ${db.queries}`)

// Over 250 bytes, with spaces: Memcached could not take this key, so it is stored under its hash.
const search = `search:${'cheap flights to lisbon '.repeat(12).trim()}`
await cache.getOrSet(search, async () => ['LIS', 'OPO'])
console.log('long key:', await cache.get(search))

// Over Memcached's 1 MB item size: refused before anything is sent.
await cache.set('report', 'x'.repeat(2 * 1024 * 1024)).catch((error) => {
  console.log('too large:', error.code)
})

// Past 30 days, Memcached reads a TTL as a Unix time: the store sends one.
await cache.set('settings', { theme: 'dark' }, { ttl: '40d' })
console.log('40 days:', await cache.get('settings'))

await Promise.all(['user:42', search, 'settings'].map((key) => cache.delete(key)))
memcached.close()
