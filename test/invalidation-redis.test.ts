// Tags, soft expiry and clear on a real Redis (issue 15): across processes, a Redis stopped during
// an invalidation, a 3-master Cluster, and the guards with tagged entries.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { bloomGuard, memoryBloom } from '@cacheguard/bloom'
import { lockGuard } from '@cacheguard/lock'
import { Redlock } from '@sesamecare-oss/redlock'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { spawnLockChild } from './helpers/lock-children.js'
import {
  type CacheStore,
  createCache,
  memoryStore,
  redisBus,
  redisStore,
} from './helpers/packages.js'
import { connectRedis, redisUrl, uniquePrefix } from './helpers/redis.js'
import { startRedisCluster } from './helpers/redis-cluster.js'
import { startRedisServer } from './helpers/redis-server.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const redis = connectRedis()
const prefix = uniquePrefix('invalidation')
let n = 0
const fresh = () => `${prefix}${++n}:`
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

/** Polls `read` every 20 ms, for up to 2 s, until it gives `expected`; resolves what it last gave. */
async function eventually<T>(read: () => Promise<T>, expected: T): Promise<T> {
  let seen = await read()
  for (let i = 0; i < 100 && seen !== expected; i++) {
    await sleep(20)
    seen = await read()
  }
  return seen
}

describe('invalidation over Redis | across processes', () => {
  it('deleteTags and clear here make the entries of another process, with and without l1, misses', async () => {
    const storePrefix = fresh()
    const channel = `${storePrefix}channel`
    const file = fileURLToPath(new URL('./fixtures/invalidation-child.ts', import.meta.url))
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=cacheguard-source', file, redisUrl(), storePrefix, channel],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    )
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
    const ask = async (line: string) => {
      child.stdin!.write(`${line}\n`)
      return JSON.parse((await lines.next()).value as string).value
    }
    try {
      expect(JSON.parse((await lines.next()).value as string)).toEqual({ ready: true })
      const bus = redisBus(redis, { subscriber: connectRedis(), channel })
      await bus.ready()
      const here = createCache({
        store: redisStore(redis, { prefix: storePrefix }),
        l1: memoryStore(),
        bus,
        clearable: true,
      })
      // The child loads and holds both entries, the tiered one in memory for an hour.
      expect(await ask('load plain user:42 user:42,team:7')).toBe('user:42 child load 1')
      expect(await ask('load tiered posts:42 user:42')).toBe('posts:42 child load 2')
      expect(await ask('load tiered other user:43')).toBe('other child load 3')
      expect(await ask('get tiered posts:42')).toBe('posts:42 child load 2')
      await here.deleteTags(['user:42'])
      // Redis alone: a miss from the moment deleteTags resolved.
      expect(await ask('get plain user:42')).toBeNull()
      // The memory tier: once the bus message arrives.
      expect(await eventually(() => ask('get tiered posts:42'), null)).toBeNull()
      expect(await ask('get tiered other')).toBe('other child load 3')
      expect(await ask('load tiered posts:42 user:42')).toBe('posts:42 child load 4')
      await here.clear()
      expect(await ask('get plain user:42')).toBeNull()
      expect(await eventually(() => ask('get tiered other'), null)).toBeNull()
      await here.close()
    } finally {
      child.stdin!.end()
      child.kill()
    }
  })
})

describe('invalidation over Redis | racing a load', () => {
  it('a load in another cache that started before deleteTags never writes a value that counts after it', async () => {
    const storePrefix = fresh()
    const loading = createCache({ store: redisStore(redis, { prefix: storePrefix }) })
    const invalidating = createCache({ store: redisStore(redis, { prefix: storePrefix }) })
    let release!: () => void
    let started!: () => void
    const begun = new Promise<void>((resolve) => {
      started = resolve
    })
    const slow = loading.getOrSet(
      'k',
      () =>
        new Promise<string>((resolve) => {
          started()
          release = () => resolve('read before the invalidation')
        }),
      { tags: ['t'] },
    )
    await begun
    await sleep(5)
    await invalidating.deleteTags(['t'])
    release()
    expect(await slow).toBe('read before the invalidation')
    // Written to Redis after the invalidation, but its data is older: a miss for everyone.
    expect(await redis.exists(`${storePrefix}k`)).toBe(1)
    expect(await invalidating.get('k')).toBeUndefined()
    expect(await loading.get('k')).toBeUndefined()
  })
})

describe('invalidation over Redis | one round trip', () => {
  it('reads the records of the tags getOrSet names with the entry, before any answer comes back', async () => {
    const inner = redisStore(redis, { prefix: fresh() })
    const log: string[] = []
    const logged: CacheStore = {
      ...inner,
      get: (key) => {
        log.push(`get ${key}`)
        return inner.get(key).finally(() => log.push('answer'))
      },
      getMany: (keys) => {
        log.push(`getMany ${keys.length}`)
        return inner.getMany!(keys).finally(() => log.push('answer'))
      },
    }
    const cache = createCache({ store: logged })
    await cache.set('k', 'v', { tags: ['a', 'b', 'c'] })
    log.length = 0
    expect(await cache.getOrSet('k', async () => 'loaded', { tags: ['a', 'b', 'c'] })).toBe('v')
    // The entry and the expire record of each tag (deleteTags writes it too) all go out before
    // the first answer: one round trip of latency.
    expect(log.slice(0, 2)).toEqual(['get k', 'getMany 3'])
    expect(log.slice(2)).toEqual(['answer', 'answer'])
  })
})

describe('invalidation over Redis | failures', () => {
  it('rejects deleteTags, expireTags and clear with a typed error while Redis is stopped, and reports nothing done', async () => {
    const server = await startRedisServer()
    const client = new Redis(server.url, { maxRetriesPerRequest: 0 })
    client.on('error', () => {})
    await client.ping()
    try {
      const cache = createCache({
        store: redisStore(client),
        clearable: true,
        storeTimeout: '300ms',
        breaker: false,
      })
      const reported: string[] = []
      cache.on('error', ({ operation, error }) => reported.push(`${operation} ${error.code}`))
      await cache.set('k', 'v', { tags: ['t'] })
      await server.stop()
      for (const call of [
        () => cache.deleteTags(['t']),
        () => cache.expireTags(['t']),
        () => cache.clear(),
      ]) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(['CG_STORE', 'CG_STORE_TIMEOUT']).toContain((error as { code?: string }).code)
      }
      // Each failure is reported as an invalidation that did not happen.
      expect(reported).toHaveLength(3)
      for (const line of reported) expect(line).toMatch(/^invalidate CG_STORE/)
    } finally {
      client.disconnect()
      await server.stop()
    }
  })
})

describe('invalidation over Redis | Cluster', () => {
  it('deleteTags, expireTags and clear on a 3-master Cluster, records and entries in their own slots', async () => {
    const cluster = await startRedisCluster(3)
    const client = cluster.connect()
    try {
      const cache = createCache({
        store: redisStore(client, { prefix: 'inv:' }),
        ttl: '1h',
        grace: '1h',
        clearable: true,
      })
      const other = createCache({
        store: redisStore(client, { prefix: 'inv:' }),
        namespace: 'other',
        clearable: true,
      })
      let loads = 0
      const load = (key: string) => async () => `${key} ${++loads}`
      const keys = Array.from({ length: 20 }, (_, i) => `item:${i}`)
      for (const key of keys)
        await cache.getOrSet(key, load(key), { tags: [`tag:${key.length % 3}`, 'all'] })
      await other.set('kept', 'yes')
      await cache.deleteTags(['all'])
      for (const key of keys) expect(await cache.get(key)).toBeUndefined()
      for (const key of keys) await cache.getOrSet(key, load(key), { tags: ['all'] })
      await cache.expireTags(['all'])
      // Stale within grace: the old value at once, then the refresh.
      expect(await cache.getOrSet('item:0', load('item:0'), { tags: ['all'] })).toBe(`item:0 21`)
      await cache.clear()
      expect(await cache.get('item:1')).toBeUndefined()
      expect(await other.get('kept')).toBe('yes')
    } finally {
      await client.quit().catch(() => client.disconnect())
      await cluster.stop()
    }
  })
})

describe('invalidation over Redis | guards with tagged entries', () => {
  it('a fenced lockGuard load and negative caching keep working with tags', async () => {
    const storePrefix = fresh()
    const cache = createCache({
      store: redisStore(redis, { prefix: storePrefix }),
      guards: [lockGuard({ redlock: new Redlock([redis]), prefix: `${storePrefix}lock:` })],
    })
    let loads = 0
    const load = async () => {
      loads++
      await sleep(50)
      return loads === 2 ? null : { loads }
    }
    const first = await Promise.all([1, 2, 3].map(() => cache.getOrSet('k', load, { tags: ['t'] })))
    expect(first).toEqual([{ loads: 1 }, { loads: 1 }, { loads: 1 }])
    await cache.deleteTags(['t'])
    // The reload is fenced (a greater token than the first write's) and accepted; its "not found"
    // is remembered with the tag.
    expect(await cache.getOrSet('k', load, { tags: ['t'] })).toBeUndefined()
    expect(await cache.getOrSet('k', load, { tags: ['t'] })).toBeUndefined()
    expect(loads).toBe(2)
    await cache.deleteTags(['t'])
    expect(await cache.getOrSet('k', load, { tags: ['t'] })).toEqual({ loads: 3 })
    expect(cache.stats().fenced).toBe(0)
  })
})

describe('invalidation over Redis | early refresh and the Bloom guard with tagged entries', () => {
  it('blocks absent ids before the store, refreshes tagged entries early, and drops them by tag', async () => {
    const filter = memoryBloom({ capacity: 1000 })
    filter.add(['user:1'])
    const cache = createCache({
      store: redisStore(redis, { prefix: fresh() }),
      guards: [bloomGuard({ filter })],
      ttl: 2000,
      earlyRefresh: { threshold: 0.5 },
    })
    let loads = 0
    const load = async () => `user 1 load ${++loads}`
    const read = () => cache.getOrSet('user:1', load, { tags: ['user:1'] })
    expect(await read()).toBe('user 1 load 1')
    // Blocked by the filter: no store lookup, no load, whatever the tags.
    expect(await cache.getOrSet('user:2', load, { tags: ['user:2'] })).toBeUndefined()
    expect(cache.stats().blocked).toBe(1)
    // Past half its fresh time, a hit starts a background refresh that keeps the tags.
    await sleep(1100)
    expect(await read()).toBe('user 1 load 1')
    for (let i = 0; i < 100 && loads < 2; i++) await sleep(10)
    expect(cache.stats().earlyRefreshes).toBe(1)
    expect(await read()).toBe('user 1 load 2')
    await cache.deleteTags(['user:1'])
    expect(await read()).toBe('user 1 load 3')
    expect(loads).toBe(3)
  })
})

describe('invalidation over Redis | a fleet of 4 processes', () => {
  it('expireTags: the stale entry is served at once everywhere, and refreshed once in the fleet with lockGuard', async () => {
    const storePrefix = fresh()
    const children = await Promise.all(
      [1, 2, 3, 4].map(() => spawnLockChild(storePrefix, { grace: 3_600_000 })),
    )
    try {
      const here = createCache({ store: redisStore(redis, { prefix: storePrefix }), ttl: '1m' })
      await here.set('k', 'seeded', { ttl: '1m', grace: '1h', tags: ['t'] })
      await here.expireTags(['t'])
      const startAt = Date.now() + 300
      const stale = await Promise.all(
        children.map((child) => child.run('k', 10, 200, startAt, 20_000, ['t'])),
      )
      for (const done of stale) {
        expect(done.values).toEqual(['seeded'])
        expect(done.errors).toEqual([])
      }
      // One refresh for the fleet: the others found the lock taken and skipped theirs.
      const deadline = Date.now() + 5000
      while (!(await redis.get(`${storePrefix}loads:k`)) && Date.now() < deadline) await sleep(20)
      await sleep(400)
      expect(await redis.get(`${storePrefix}loads:k`)).toBe('1')
      const after = await Promise.all(
        children.map((child) => child.run('k', 5, 200, Date.now(), 20_000, ['t'])),
      )
      const refreshed = new Set(after.flatMap((done) => done.values))
      expect(refreshed.size).toBe(1)
      expect([...refreshed][0]).toMatch(/^v from \d+$/)
      expect(await redis.get(`${storePrefix}loads:k`)).toBe('1')
    } finally {
      for (const child of children) child.exit()
    }
  })
})
