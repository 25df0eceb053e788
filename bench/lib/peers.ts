// The peer libraries the peers-*.ts benchmarks measure cacheguard against, each set up as its own
// documentation recommends, behind one shape: `get(key)` is the library's read-through call
// (getOrSet, wrap, cachified, a defined function) with the scenario's loader. cacheguard itself is
// set up in each script, where its options are the point of the scenario.
import { readFile } from 'node:fs/promises'
import {
  type CacheEntry,
  type Cache as CachifiedAdapter,
  cachified,
  totalTtl,
} from '@epic-web/cachified'
import { createKeyv as createRedisKeyv } from '@keyv/redis'
import { createCache as createDedupeCache } from 'async-cache-dedupe'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisDriver } from 'bentocache/drivers/redis'
import { createCache as createCacheManager } from 'cache-manager'
import { createKeyv as createMemoryKeyv } from 'cacheable'
import { type RedisLikeCache, redisCacheAdapter } from 'cachified-redis-adapter'
import type { Redis } from 'ioredis'
import { LRUCache } from 'lru-cache'

/** The source of truth of a scenario: `null` means "does not exist". */
export type Load = (key: string) => Promise<unknown>

/** One contender: a library's read-through call, and how to let go of what it opened. */
export interface PeerCache {
  name: string
  /** The value of `key`: from the cache, or loaded (and cached) on a miss. */
  get(key: string): Promise<unknown>
  /** Closes the connections the library opened itself; the shared client stays open. */
  close(): Promise<void>
}

/** How a scenario wants its peers. */
export interface PeerOptions {
  /** Where entries live: the shared Redis (no memory layer), or this process's memory only. */
  tier: 'redis' | 'memory'
  /** The benchmark's ioredis client, handed to every library that accepts one. */
  redis: Redis
  /** The Redis URL, for the library that opens its own connection (cache-manager's @keyv/redis). */
  url: string
  /** Unique per contender and run: every key the library writes starts with it. */
  prefix: string
  load: Load
  ttlMs: number
  /** Serve expired entries while one refresh runs, with each library's own option. @default 0 (off) */
  staleMs?: number
}

/** Each peer's name as the tables print it, with its npm package. */
export const PEER_PACKAGES = {
  BentoCache: 'bentocache',
  'cache-manager': 'cache-manager',
  cachified: '@epic-web/cachified',
  'async-cache-dedupe': 'async-cache-dedupe',
} as const

/** The installed version of every peer package and adapter (the lockfile's), for the results. */
export function peerVersions(): Promise<Record<string, string>> {
  return packageVersions([
    ...Object.values(PEER_PACKAGES),
    '@keyv/redis',
    'keyv',
    'cacheable',
    'cachified-redis-adapter',
    'lru-cache',
    'ioredis',
  ])
}

/** The installed version (the lockfile's) of each of `names`, dependencies of `bench/`. */
export async function packageVersions(names: string[]): Promise<Record<string, string>> {
  const versions: Record<string, string> = {}
  for (const name of names) {
    const file = new URL(`../node_modules/${name}/package.json`, import.meta.url)
    versions[name] = (JSON.parse(await readFile(file, 'utf8')) as { version: string }).version
  }
  return versions
}

/** Every peer, in the order the tables list them. */
export function allPeers(options: PeerOptions): PeerCache[] {
  return peerFactories().map((create) => create(options))
}

/** The factory of every peer, in the order the tables list them. */
export function peerFactories(): Array<(options: PeerOptions) => PeerCache> {
  return [bentoPeer, cacheManagerPeer, cachifiedPeer, dedupePeer]
}

/** Closes every peer's own connections, whatever fails. */
export async function closePeers(peers: PeerCache[]): Promise<void> {
  await Promise.allSettled(peers.map((peer) => peer.close()))
}

/**
 * BentoCache. On Redis: one store with an L2 layer only (no L1), so every hit is a Redis read,
 * over the shared ioredis instance as its drivers page shows. In memory: an L1 layer only.
 */
export function bentoPeer(o: PeerOptions): PeerCache {
  const store =
    o.tier === 'redis'
      ? bentostore().useL2Layer(redisDriver({ connection: o.redis }))
      : bentostore().useL1Layer(memoryDriver({ maxItems: 10_000 }))
  const bento = new BentoCache({
    default: 'cache',
    prefix: `${o.prefix}bento`,
    stores: { cache: store },
    ttl: o.ttlMs,
    // Grace periods are its stale-while-revalidate: with the default soft `timeout` of 0, a caller
    // of an expired entry within grace gets it at once while one refresh runs in the background.
    grace: o.staleMs ? o.staleMs : false,
    // Its stampede protection is an in-memory lock per key. `lockTimeout` bounds how long that
    // lock may be held (the options page: an extra layer against deadlocks) and `hardTimeout`
    // how long callers wait for a factory: both at 5 s, as cacheguard's lockGuard waits.
    lockTimeout: 5000,
    hardTimeout: 5000,
  })
  return {
    name: 'BentoCache',
    get: (key) => bento.getOrSet({ key, factory: () => o.load(key) }),
    // The Redis driver's disconnect() would close the shared client: nothing else to close there.
    close: async () => {
      if (o.tier === 'memory') await bento.disconnect()
    },
  }
}

/**
 * cache-manager 7 `wrap` (which coalesces concurrent calls of one key in the process). On Redis:
 * one Keyv store from `@keyv/redis`'s `createKeyv`, the README's way, which opens its own
 * node-redis connection (it takes no ioredis client). In memory: cacheable's `createKeyv`, the
 * LRU + TTL store the README recommends over the default unbounded Map.
 */
export function cacheManagerPeer(o: PeerOptions): PeerCache {
  const store =
    o.tier === 'redis'
      ? createRedisKeyv(o.url, { namespace: `${o.prefix}cm` })
      : createMemoryKeyv({ ttl: o.ttlMs, lruSize: 10_000 })
  store.on('error', () => {})
  const cache = createCacheManager({
    stores: [store],
    ttl: o.ttlMs,
    // It cannot serve past the TTL; its stale-while-revalidate is `refreshThreshold`: a hit with
    // less than this left refreshes in the background. 30% of the TTL, as in its README example
    // (ttl 10000, refreshThreshold 3000).
    ...(o.staleMs ? { refreshThreshold: Math.round(o.ttlMs * 0.3) } : {}),
  })
  return {
    name: 'cache-manager',
    get: (key) => cache.wrap(key, () => o.load(key)),
    close: () => cache.disconnect(),
  }
}

/**
 * @epic-web/cachified, whose concurrent calls of one key on one cache object share one
 * `getFreshValue` (its built-in dedupe). On Redis: the adapter its README lists for Redis,
 * `cachified-redis-adapter`, over the shared ioredis client. In memory: an lru-cache adapter, the
 * README's first example.
 */
export function cachifiedPeer(o: PeerOptions): PeerCache {
  const cache = o.tier === 'redis' ? redisCacheAdapter(nodeRedisShape(o.redis)) : lruAdapter()
  // No `staleWhileRevalidate` key at all when off: its types accept no undefined.
  const swr = o.staleMs ? { staleWhileRevalidate: o.staleMs } : {}
  return {
    name: 'cachified',
    get: (key) =>
      cachified({
        key: `${o.prefix}cf:${key}`,
        cache,
        getFreshValue: () => o.load(key),
        ttl: o.ttlMs,
        ...swr,
      }),
    close: async () => {},
  }
}

/**
 * `cachified-redis-adapter` calls the node-redis API (`set(key, value, { EXAT })`); this maps
 * those three calls onto ioredis, whose `set` takes the expiry as arguments.
 */
function nodeRedisShape(redis: Redis): RedisLikeCache {
  return {
    name: 'ioredis',
    get: (key) => redis.get(key),
    set: (key, value, options) =>
      options ? redis.set(key, value, 'EXAT', options.EXAT) : redis.set(key, value),
    del: (key) => redis.del(key),
  }
}

/** The lru-cache adapter of cachified's README: entries expire after their ttl + swr. */
function lruAdapter(): CachifiedAdapter {
  const lru = new LRUCache<string, CacheEntry>({ max: 10_000 })
  return {
    set(key, value) {
      const ttl = totalTtl(value?.metadata)
      lru.set(key, value, {
        ttl: ttl === Number.POSITIVE_INFINITY ? 0 : ttl,
        start: value?.metadata?.createdTime,
      })
    },
    get: (key) => lru.get(key),
    delete: (key) => lru.delete(key),
  }
}

/**
 * async-cache-dedupe: one defined function per contender (its storage keys are
 * `<name>~<argument>`, so the name carries the prefix), which dedupes concurrent calls of one
 * argument. On Redis: its `redis` storage over the shared ioredis client; in memory: its `memory`
 * storage. TTLs are whole seconds.
 */
export function dedupePeer(o: PeerOptions): PeerCache {
  const cache = createDedupeCache({
    ttl: Math.max(1, Math.round(o.ttlMs / 1000)),
    // `stale`: after the TTL the entry is still served for this long while one call refreshes it.
    stale: o.staleMs ? Math.max(1, Math.round(o.staleMs / 1000)) : 0,
    storage:
      o.tier === 'redis'
        ? { type: 'redis', options: { client: o.redis } }
        : { type: 'memory', options: { size: 10_000 } },
  })
  const name = `${o.prefix}acd`
  const fetch = cache.define(name, (key: string) => o.load(key))[name]
  if (fetch === undefined) throw new Error(`async-cache-dedupe did not define ${name}`)
  return { name: 'async-cache-dedupe', get: (key) => fetch(key), close: async () => {} }
}

/**
 * Plain cache-aside over the shared client, as most code writes it by hand: `GET`; on a miss,
 * load, then `SET ... PX ttl` if something was found. No coalescing, no negative caching: the
 * reference for what the libraries prevent.
 */
export function plainCacheAside(o: Omit<PeerOptions, 'tier' | 'url'>): PeerCache {
  return {
    name: 'plain cache-aside (ioredis GET/SET)',
    async get(key) {
      const cached = await o.redis.get(o.prefix + key)
      if (cached !== null) return JSON.parse(cached)
      const value = await o.load(key)
      if (value !== null && value !== undefined) {
        await o.redis.set(o.prefix + key, JSON.stringify(value), 'PX', o.ttlMs)
      }
      return value
    },
    close: async () => {},
  }
}
