import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type Cluster, Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { type CacheEvents, createCache, redisStore } from '../../../test/helpers/packages.js'
import { connectRedis, redisUrl, uniquePrefix } from '../../../test/helpers/redis.js'
import { type RedisCluster, startRedisCluster } from '../../../test/helpers/redis-cluster.js'
import { type RedisServer, startRedisServer } from '../../../test/helpers/redis-server.js'
import { bloomGuard } from './bloom-guard.js'
import { redisBloom } from './redis-bloom.js'
import { seedBloom } from './seed-bloom.js'

const run = promisify(execFile)
const redis = connectRedis()
const prefix = uniquePrefix('bloom')

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

const ids = (n: number, label = 'user') => Array.from({ length: n }, (_, i) => `${label}:${i}`)

describe('redis bloom | accuracy', () => {
  it('has no false negatives and at most 1.1 x the error rate over 1,000,000 absent keys', async () => {
    const filter = redisBloom(redis, {
      key: 'accuracy',
      capacity: 100_000,
      errorRate: 0.01,
      prefix,
    })
    const report = await seedBloom(filter, ids(100_000))
    expect(report).toMatchObject({ added: 100_000, created: true })
    let falseNegatives = 0
    for (let i = 0; i < 100_000; i += 2000) {
      falseNegatives += (await filter.hasMany(ids(100_000).slice(i, i + 2000))).filter(
        (p) => !p,
      ).length
    }
    expect(falseNegatives).toBe(0)
    let falsePositives = 0
    const absent = ids(1_000_000, 'absent')
    const chunks = Array.from({ length: 500 }, (_, c) => absent.slice(c * 2000, (c + 1) * 2000))
    for (let c = 0; c < chunks.length; c += 8) {
      const answers = await Promise.all(
        chunks.slice(c, c + 8).map((chunk) => filter.hasMany(chunk)),
      )
      for (const chunk of answers) falsePositives += chunk.filter(Boolean).length
    }
    expect(falsePositives / 1_000_000).toBeLessThanOrEqual(0.011)
    expect(falsePositives).toBeGreaterThan(0)
    const info = await filter.info()
    expect(info.added).toBe(100_000)
    expect(info.fillRatio).toBeGreaterThan(0.45)
  })
})

describe('redis bloom | shared by processes', () => {
  const child = async (...args: string[]) => {
    const file = fileURLToPath(new URL('../../../test/fixtures/bloom-child.ts', import.meta.url))
    const { stdout } = await run(process.execPath, [
      '--import',
      'tsx',
      '--conditions=cacheguard-source',
      file,
      ...args,
    ])
    return JSON.parse(stdout) as { ok: boolean; present?: boolean[]; code?: string }
  }

  it('lets one process see what another added, and refuses other parameters', async () => {
    const key = `${prefix}shared`
    await redisBloom(redis, { key, capacity: 1000, errorRate: 0.01 }).rebuild([])
    expect(await child('add', redisUrl(), key, '1000', '0.01', 'alice', 'bob')).toEqual({
      ok: true,
    })
    expect(await child('has', redisUrl(), key, '1000', '0.01', 'alice', 'bob', 'carol')).toEqual({
      ok: true,
      present: [true, true, false],
    })
    // This process computes the same positions.
    expect(
      await redisBloom(redis, { key, capacity: 1000, errorRate: 0.01 }).hasMany(['alice', 'carol']),
    ).toEqual([true, false])
    expect(await child('has', redisUrl(), key, '5000', '0.01', 'alice')).toMatchObject({
      ok: false,
      code: 'CG_BLOOM_CONFIG_MISMATCH',
    })
  })
})

describe('redis bloom | rebuild', () => {
  it('never reports a real member absent while a rebuild swaps in', async () => {
    const filter = redisBloom(redis, { key: 'rebuild', capacity: 20_000, errorRate: 0.01, prefix })
    const live = ids(10_000)
    await seedBloom(filter, [...live, ...ids(2000, 'deleted')])
    let checking = true
    let checks = 0
    let missed = 0
    const checker = (async () => {
      while (checking) {
        const sample = live.slice((checks * 500) % 10_000, ((checks * 500) % 10_000) + 500)
        missed += (await filter.hasMany(sample)).filter((p) => !p).length
        checks++
      }
    })()
    let progress = 0
    const added = await filter.rebuild(live, { batchSize: 500, onProgress: (n) => (progress = n) })
    checking = false
    await checker
    expect(added).toBe(10_000)
    expect(progress).toBe(10_000)
    expect(checks).toBeGreaterThan(5)
    expect(missed).toBe(0)
    // The deleted ids left with the rebuild (but for the odd false positive).
    const stillThere = (await filter.hasMany(ids(2000, 'deleted'))).filter(Boolean).length
    expect(stillThere).toBeLessThan(60)
    expect(await redis.pttl(`${prefix}{rebuild}`)).toBe(-1)
    expect(await redis.keys(`${prefix}{rebuild}:next*`)).toEqual([])
  })
})

describe('redis bloom | guard', () => {
  it('blocks unknown ids on a miss and lets a hit through without checking', async () => {
    const filter = redisBloom(redis, { key: 'guard', capacity: 1000, prefix })
    await seedBloom(filter, ['1', '2'])
    const cache = createCache({
      store: redisStore(redis, { prefix: `${prefix}cache:` }),
      guards: [bloomGuard({ filter, key: (k) => k.slice(5) })],
    })
    let loads = 0
    const load = () => {
      loads++
      return { ok: true }
    }
    expect(await cache.getOrSet('user:1', load)).toEqual({ ok: true })
    expect(await cache.getOrSet('user:3', load)).toBeUndefined()
    await cache.set('user:4', { ok: true })
    expect(await filter.has('4')).toBe(true)
    expect(loads).toBe(1)
    expect(cache.stats().blocked).toBe(1)
  })

  it('lets requests through when the filter was never seeded or has other parameters', async () => {
    const errors: Array<CacheEvents['error']> = []
    for (const filter of [
      redisBloom(redis, { key: 'never-seeded', capacity: 1000, prefix }),
      redisBloom(redis, { key: 'guard', capacity: 999, prefix }),
    ]) {
      const cache = createCache({ guards: [bloomGuard({ filter })] })
      cache.on('error', (event) => errors.push(event))
      expect(await cache.getOrSet('anything', () => 'loaded')).toBe('loaded')
    }
    // The check fails open, and the add after the load fails the same way: both are reported.
    expect(errors.map((e) => e.error.code)).toEqual([
      'CG_STORE',
      'CG_STORE',
      'CG_BLOOM_CONFIG_MISMATCH',
      'CG_BLOOM_CONFIG_MISMATCH',
    ])
  })
})

describe('redis bloom | failures', () => {
  let server: RedisServer | undefined
  let client: Redis | undefined
  afterAll(async () => {
    client?.disconnect()
    await server?.stop()
  })

  it('lets every request through to the loader when Redis stops, without hanging', async () => {
    server = await startRedisServer()
    client = new Redis(server.url, { maxRetriesPerRequest: 1 })
    client.on('error', () => {})
    const filter = redisBloom(client, { key: 'outage', capacity: 1000, timeout: 200 })
    await seedBloom(filter, ['1'])
    const cache = createCache({ guards: [bloomGuard({ filter })], storeTimeout: 200 })
    const codes: string[] = []
    cache.on('error', ({ error }) => codes.push(error.code))
    expect(await cache.getOrSet('2', () => 'two')).toBeUndefined()
    await server.kill()
    const answers = await Promise.all(
      ['2', '3', '4'].map((id) => cache.getOrSet(id, () => `loaded ${id}`)),
    )
    expect(answers).toEqual(['loaded 2', 'loaded 3', 'loaded 4'])
    expect(codes.length).toBeGreaterThanOrEqual(3)
    expect(codes.every((code) => code === 'CG_STORE' || code === 'CG_STORE_TIMEOUT')).toBe(true)
  })
})

describe('redis bloom | Redis Cluster', () => {
  let cluster: RedisCluster | undefined
  let client: Cluster | undefined
  afterAll(async () => {
    await client?.quit().catch(() => client?.disconnect())
    await cluster?.stop()
  })

  it('keeps a filter and its rebuilds in one slot, and answers on the cluster', async () => {
    cluster = await startRedisCluster(3)
    client = cluster.connect()
    const filter = redisBloom(client, { key: 'users', capacity: 10_000 })
    await seedBloom(filter, ids(5000))
    expect((await filter.hasMany(ids(5000))).every(Boolean)).toBe(true)
    await filter.rebuild(ids(4000))
    expect((await filter.hasMany(ids(4000))).every(Boolean)).toBe(true)
    expect((await filter.info()).added).toBe(4000)
  })
})
