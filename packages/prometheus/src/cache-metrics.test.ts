import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CacheStats, createCache, type Guard } from '@cacheguard/core'
import { lockGuard } from '@cacheguard/lock'
import { redisStore } from '@cacheguard/redis'
import { scheduleWarmup } from '@cacheguard/warmup'
import { Redlock } from '@sesamecare-oss/redlock'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { afterAll, describe, expect, it } from 'vitest'
import { connectRedis, uniquePrefix } from '../../../test/helpers/redis.js'
import { freePort } from '../../../test/helpers/redis-server.js'
import { cacheMetrics } from './cache-metrics.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const redis = connectRedis()
const prefix = uniquePrefix('prometheus')
const store = redisStore(redis, { prefix })

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** Serves `registry` at `/metrics` on a real HTTP server, closed after the file's tests. */
async function serveMetrics(registry: Registry): Promise<() => Promise<Sample[]>> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end()
      return
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (error: unknown) => res.writeHead(500).end(String(error)),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  const { port } = server.address() as AddressInfo
  return async () => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe(registry.contentType)
    return parseExposition(await response.text())
  }
}

/** Reads the Prometheus text format: every sample line, checked against its `# TYPE`. */
function parseExposition(text: string): Sample[] {
  const types = new Map<string, string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP')) continue
    const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line)
    if (type) {
      types.set(type[1]!, type[2]!)
      continue
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) throw new Error(`Not an exposition line: ${line}`)
    const name = match[1]!
    const family = name.replace(/_(bucket|sum|count)$/, '')
    expect(types.get(name) ?? types.get(family), `# TYPE of ${name}`).toBeDefined()
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!
    }
    samples.push({ name, labels, value: Number(match[3]) })
  }
  return samples
}

/** The value of the one sample named `name` whose labels are exactly `labels`. */
function sampleValue(samples: Sample[], name: string, labels: Record<string, string>) {
  const wanted = JSON.stringify(Object.entries(labels).sort())
  const found = samples.filter(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted,
  )
  expect(found.length, `${name}${JSON.stringify(labels)}`).toBeLessThanOrEqual(1)
  return found[0]?.value
}

const STATS: Array<[keyof CacheStats, string]> = [
  ['hits', 'hits_total'],
  ['misses', 'misses_total'],
  ['staleHits', 'stale_hits_total'],
  ['loads', 'loads_total'],
  ['coalesced', 'coalesced_total'],
  ['overloaded', 'overloaded_total'],
  ['corrupt', 'corrupt_entries_total'],
  ['shortCircuited', 'short_circuited_total'],
  ['fenced', 'fenced_writes_total'],
  ['earlyRefreshes', 'early_refreshes_total'],
]

function expectStats(samples: Sample[], cache: string, stats: CacheStats) {
  for (const [stat, name] of STATS) {
    expect(sampleValue(samples, `cacheguard_${name}`, { cache }), name).toBe(stats[stat])
  }
}

describe('cache metrics | scraped from /metrics', () => {
  it('exports the counters of stats() exactly, as _total counters', async () => {
    const registry = new Registry()
    const scrape = await serveMetrics(registry)
    const cache = createCache({ store, namespace: 'users', ttl: '1m', grace: '1m' })
    cacheMetrics(cache, { registry })

    for (let i = 0; i < 5; i++) await cache.getOrSet(`u${i}`, () => ({ id: i }))
    for (let i = 0; i < 10; i++) await cache.getOrSet(`u${i % 5}`, () => ({ id: -1 }))
    await Promise.all(
      Array.from({ length: 10 }, () => cache.getOrSet('hot', () => sleep(20).then(() => 'v'))),
    )
    await cache.get('absent')
    await cache.getOrSet('old', () => 'v1', { ttl: 20 })
    await sleep(40)
    expect(await cache.getOrSet('old', () => 'v2')).toBe('v1')
    await sleep(20) // the stale hit's background refresh, a load of its own

    const stats = cache.stats()
    expect(stats).toMatchObject({ hits: 10, staleHits: 1, loads: 8 })
    expect(stats.coalesced).toBeGreaterThan(0)
    expectStats(await scrape(), 'users', stats)

    // Counters add what is new at each scrape: a second scrape after more hits agrees again.
    for (let i = 0; i < 3; i++) await cache.getOrSet('u0', () => ({ id: -1 }))
    const again = await scrape()
    expect(sampleValue(again, 'cacheguard_hits_total', { cache: 'users' })).toBe(cache.stats().hits)
    expectStats(again, 'users', cache.stats())
  })

  it('exports overdueLoads as a gauge: loads past their hard timeout, down again when they settle', async () => {
    const registry = new Registry()
    const scrape = await serveMetrics(registry)
    const cache = createCache({ store, namespace: 'overdue', timeout: { hard: 10 } })
    cacheMetrics(cache, { registry })
    let release!: () => void
    const deaf = new Promise<string>((resolve) => (release = () => resolve('late')))
    await expect(cache.getOrSet('slow', () => deaf)).rejects.toMatchObject({
      code: 'CG_LOAD_TIMEOUT',
    })
    const during = await scrape()
    expect(sampleValue(during, 'cacheguard_overdue_loads', { cache: 'overdue' })).toBe(1)
    release()
    await sleep(20)
    expect(cache.stats().overdueLoads).toBe(0)
    const after = await scrape()
    expect(sampleValue(after, 'cacheguard_overdue_loads', { cache: 'overdue' })).toBe(0)
  })

  it('counts errors by code and operation, blocked keys by guard', async () => {
    const registry = new Registry()
    const scrape = await serveMetrics(registry)
    const deny: Guard = {
      name: 'deny',
      load: async (ctx, next) => (ctx.key.startsWith('no:') ? ctx.block('listed') : next()),
    }
    const cache = createCache({ store, namespace: 'orders', timeout: { hard: 20 }, guards: [deny] })
    cacheMetrics(cache, { registry })

    await expect(
      cache.getOrSet('o1', () => {
        throw new Error('database down')
      }),
    ).rejects.toThrow('database down')
    await expect(cache.getOrSet('o2', () => sleep(200).then(() => 'late'))).rejects.toMatchObject({
      code: 'CG_LOAD_TIMEOUT',
    })
    expect(await cache.getOrSet('no:1', () => 'x')).toBeUndefined()
    expect(await cache.getOrSet('no:2', () => 'x')).toBeUndefined()

    const samples = await scrape()
    const errors = (code: string) =>
      sampleValue(samples, 'cacheguard_errors_total', { cache: 'orders', code, operation: 'load' })
    expect(errors('CG_LOADER')).toBe(1)
    expect(errors('CG_LOAD_TIMEOUT')).toBe(1)
    const all = samples.filter((s) => s.name === 'cacheguard_errors_total')
    expect(all.reduce((sum, s) => sum + s.value, 0)).toBe(cache.stats().errors)
    expect(
      sampleValue(samples, 'cacheguard_blocked_total', { cache: 'orders', guard: 'deny' }),
    ).toBe(2)
    expect(cache.stats().blocked).toBe(2)
  })

  it('counts invalidations by kind, as stats() does', async () => {
    const registry = new Registry()
    const scrape = await serveMetrics(registry)
    const cache = createCache({ store, namespace: 'catalog', clearable: true, grace: '1m' })
    cacheMetrics(cache, { registry })
    await cache.set('a', 1, { tags: ['t'] })
    await cache.delete('a')
    await cache.deleteTags(['t', 'u'])
    await cache.deleteTags(['v'])
    await cache.set('b', 2)
    await cache.expire('b')
    await cache.expireTags(['t'])
    await cache.clear()
    const samples = await scrape()
    const count = (kind: string) =>
      sampleValue(samples, 'cacheguard_invalidations_total', { cache: 'catalog', kind })
    expect(['delete', 'deleteTags', 'expire', 'expireTags', 'clear'].map(count)).toEqual([
      1, 2, 1, 1, 1,
    ])
    expect(cache.stats()).toMatchObject({
      deletes: 1,
      tagDeletes: 2,
      expires: 1,
      tagExpires: 1,
      clears: 1,
    })
  })

  it('records load durations in a histogram, in seconds', async () => {
    const registry = new Registry()
    const scrape = await serveMetrics(registry)
    const cache = createCache({ store, namespace: 'durations' })
    cacheMetrics(cache, { registry, buckets: [0.025, 0.05, 1] })

    await Promise.all([
      cache.getOrSet('fast1', () => 'v'),
      cache.getOrSet('fast2', () => 'v'),
      ...['slow1', 'slow2', 'slow3'].map((key) =>
        cache.getOrSet(key, () => sleep(60).then(() => 'v')),
      ),
    ])

    const samples = await scrape()
    const bucket = (le: string) =>
      sampleValue(samples, 'cacheguard_load_duration_seconds_bucket', { cache: 'durations', le })
    expect([bucket('0.025'), bucket('0.05'), bucket('1'), bucket('+Inf')]).toEqual([2, 2, 5, 5])
    const labels = { cache: 'durations' }
    expect(sampleValue(samples, 'cacheguard_load_duration_seconds_count', labels)).toBe(5)
    const sum = sampleValue(samples, 'cacheguard_load_duration_seconds_sum', labels)!
    expect(sum).toBeGreaterThanOrEqual(0.17)
    expect(sum).toBeLessThan(3)
  })

  it('keeps two caches with different namespaces apart on one registry', async () => {
    const registry = new Registry()
    const scrape = await serveMetrics(registry)
    const users = createCache({ store, namespace: 'users' })
    const orders = createCache({ store, namespace: 'orders' })
    cacheMetrics(users, { registry })
    cacheMetrics(orders, { registry })

    for (let i = 0; i < 4; i++) await users.getOrSet('same-key', () => 'user')
    await orders.getOrSet('same-key', () => 'order')

    const samples = await scrape()
    expect(sampleValue(samples, 'cacheguard_hits_total', { cache: 'users' })).toBe(3)
    expect(sampleValue(samples, 'cacheguard_hits_total', { cache: 'orders' })).toBe(0)
    expect(
      sampleValue(samples, 'cacheguard_load_duration_seconds_count', { cache: 'orders' }),
    ).toBe(1)
    expectStats(samples, 'users', users.stats())
    expectStats(samples, 'orders', orders.stats())
    // Each metric is registered once: one # TYPE line per family.
    const body = await registry.metrics()
    expect(body.match(/^# TYPE cacheguard_hits_total counter$/gm)).toHaveLength(1)
  })

  it('exports the lock guards of two caches waiting on one key', async () => {
    const registry = new Registry()
    const scrape = await serveMetrics(registry)
    const redlock = new Redlock([redis])
    const app = (name: string) => {
      const guard = lockGuard({
        redlock,
        prefix: `${prefix}lock:`,
        pollInterval: '10ms',
        waitTimeout: '150ms',
        onWaitTimeout: 'load',
      })
      const cache = createCache({ store, namespace: 'products', guards: [guard] })
      cacheMetrics(cache, { registry, name, lockGuards: [guard] })
      return { guard, cache }
    }
    const [first, second] = [app('app-1'), app('app-2')]
    afterAll(() => Promise.all([first.guard.close(), second.guard.close()]))

    // `p1` loads in 60 ms and the waiter is served; `p2` outlasts the wait, and the waiter loads.
    // `p2` takes ten times the wait: on a loaded machine the waiter's 150 ms timer can fire
    // hundreds of ms late, and with 400 ms it once found the load already done (no timeout).
    const keys = [
      ['p1', 60],
      ['p2', 1500],
    ] as const
    for (const [i, [key, ms]] of keys.entries()) {
      const holder = first.cache.getOrSet(key, () => sleep(ms).then(() => 'first'))
      // The second cache asks once the first holds the key's lock.
      while (first.guard.stats().acquired <= i) await sleep(2)
      await Promise.all([holder, second.cache.getOrSet(key, () => 'second')])
    }
    await sleep(50)

    const samples = await scrape()
    const lock = (name: string, cache: string) =>
      sampleValue(samples, `cacheguard_lock_${name}_total`, { cache })
    expect(first.guard.stats()).toMatchObject({ acquired: 2, waited: 0 })
    expect(second.guard.stats()).toMatchObject({ waited: 2, servedByOthers: 1, timeouts: 1 })
    for (const [{ guard }, cache] of [
      [first, 'app-1'],
      [second, 'app-2'],
    ] as const) {
      const stats = guard.stats()
      expect(lock('acquired', cache)).toBe(stats.acquired)
      expect(lock('waits', cache)).toBe(stats.waited)
      expect(lock('served_by_others', cache)).toBe(stats.servedByOthers)
      expect(lock('found_after_lock', cache)).toBe(stats.foundAfterLock)
      expect(lock('refreshes_skipped', cache)).toBe(stats.refreshesSkipped)
      expect(lock('timeouts', cache)).toBe(stats.timeouts)
      expect(lock('unavailable', cache)).toBe(stats.unavailable)
      expect(lock('lost', cache)).toBe(stats.lost)
    }
    expectStats(samples, 'app-1', first.cache.stats())
    expectStats(samples, 'app-2', second.cache.stats())
  })

  it('reports the breaker state and store errors of an unreachable Redis', async () => {
    const registry = new Registry()
    const scrape = await serveMetrics(registry)
    const down = new Redis(`redis://127.0.0.1:${await freePort()}`, { lazyConnect: true })
    down.on('error', () => {})
    afterAll(() => down.disconnect())
    const cache = createCache({
      store: redisStore(down),
      namespace: 'outage',
      storeTimeout: 30,
      breaker: { failures: 2, openFor: '1m' },
    })
    cacheMetrics(cache, { registry })

    for (let i = 0; i < 4; i++) await cache.getOrSet(`k${i}`, () => 'from the database')

    const samples = await scrape()
    const state = (s: string) =>
      sampleValue(samples, 'cacheguard_breaker_state', {
        cache: 'outage',
        store: 'redis',
        state: s,
      })
    expect([state('closed'), state('open'), state('half-open')]).toEqual([0, 1, 0])
    const opened = { cache: 'outage', store: 'redis', state: 'open' }
    expect(sampleValue(samples, 'cacheguard_breaker_transitions_total', opened)).toBe(1)
    const timeouts = samples.filter(
      (s) => s.name === 'cacheguard_errors_total' && s.labels.code === 'CG_STORE_TIMEOUT',
    )
    expect(timeouts.reduce((sum, s) => sum + s.value, 0)).toBeGreaterThanOrEqual(2)
    expect(cache.stats().shortCircuited).toBeGreaterThan(0)
    expectStats(samples, 'outage', cache.stats())
  })

  it('records scheduled warmup runs, their keys and skipped ticks', async () => {
    const registry = new Registry()
    const scrape = await serveMetrics(registry)
    const cache = createCache({ store, namespace: 'warm' })
    const metrics = cacheMetrics(cache, { registry })
    const reports: unknown[] = []
    const schedule = scheduleWarmup(cache, {
      cron: '0 0 1 1 *',
      keys: ['w1', 'w2', 'w3'],
      load: async (key) => {
        await sleep(30)
        if (key === 'w3') throw new Error('no such row')
        return { key }
      },
      retries: 0,
      force: true,
      ...metrics.warmupHooks({ onReport: (report) => reports.push(report) }),
    })
    afterAll(() => schedule.stop())

    const before = Date.now() / 1000
    const [report, skipped] = await Promise.all([schedule.trigger(), schedule.trigger()])
    expect(skipped).toBeUndefined()
    expect(report).toMatchObject({ loaded: 2, failed: 1, skipped: 0 })
    expect(reports).toEqual([report])
    metrics.observeWarmup({ loaded: 0, skipped: 3, failed: 0, durationMs: 4, aborted: false })

    const samples = await scrape()
    const labels = { cache: 'warm' }
    const runs = (outcome: string) =>
      sampleValue(samples, 'cacheguard_warmup_runs_total', { cache: 'warm', outcome })
    expect([runs('partial'), runs('complete'), runs('aborted')]).toEqual([1, 1, undefined])
    const keys = (result: string) =>
      sampleValue(samples, 'cacheguard_warmup_keys_total', { cache: 'warm', result })
    expect([keys('loaded'), keys('skipped'), keys('failed')]).toEqual([2, 3, 1])
    const skips = { cache: 'warm', reason: 'running' }
    expect(sampleValue(samples, 'cacheguard_warmup_skipped_ticks_total', skips)).toBe(1)
    expect(sampleValue(samples, 'cacheguard_warmup_last_run_duration_seconds', labels)).toBe(0.004)
    const ended = sampleValue(samples, 'cacheguard_warmup_last_run_timestamp_seconds', labels)!
    expect(ended).toBeGreaterThanOrEqual(before)
    expect(ended).toBeLessThanOrEqual(Date.now() / 1000)
  })

  it('stops updating after close() and removes its series', async () => {
    const registry = new Registry()
    const scrape = await serveMetrics(registry)
    const kept = createCache({ store, namespace: 'kept' })
    const gone = createCache({ store, namespace: 'gone' })
    cacheMetrics(kept, { registry })
    const metrics = cacheMetrics(gone, { registry })
    await gone
      .getOrSet('k', () => {
        throw new Error('boom')
      })
      .catch(() => {})
    await gone.getOrSet('k', () => 'v')
    await gone.getOrSet('k', () => 'v')
    await kept.getOrSet('k', () => 'v')

    const open = await scrape()
    expect(sampleValue(open, 'cacheguard_hits_total', { cache: 'gone' })).toBe(1)
    expect(open.some((s) => s.labels.cache === 'gone' && s.labels.code === 'CG_LOADER')).toBe(true)

    metrics.close()
    metrics.close()
    await gone.getOrSet('k', () => 'v')
    await gone.getOrSet('other', () => 'v')
    metrics.observeWarmup({ loaded: 1, skipped: 0, failed: 0, durationMs: 1 })

    const closed = await scrape()
    expect(closed.filter((s) => s.labels.cache === 'gone')).toEqual([])
    expectStats(closed, 'kept', kept.stats())
  })
})
