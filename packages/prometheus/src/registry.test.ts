import { readFile } from 'node:fs/promises'
import { type Cache, createCache } from '@cacheguard/core'
import { Counter, type OpenMetricsContentType, Registry, register } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { type CacheMetricsOptions, cacheMetrics } from './cache-metrics.js'

/** The value of `name` with exactly `labels` on `registry`, read the way a scrape reads it. */
async function read(registry: Registry, name: string, labels: Record<string, string>) {
  const metric = registry.getSingleMetric(name)
  if (metric === undefined) return undefined
  const { values } = await metric.get()
  const wanted = JSON.stringify(Object.entries(labels).sort())
  return values.find((v) => JSON.stringify(Object.entries(v.labels).sort()) === wanted)?.value
}

const names = (registry: Pick<Registry, 'getMetricsAsArray'>) =>
  registry.getMetricsAsArray().map((m) => m.name)
const hit = async (cache: Cache, key = 'k') => {
  await cache.getOrSet(key, () => 'v')
  await cache.getOrSet(key, () => 'v')
}

afterEach(() => {
  register.clear()
})

describe('cache metrics | registries', () => {
  it("registers on prom-client's default register, and leaves it empty after close()", async () => {
    const cache = createCache({ namespace: 'users' })
    const metrics = cacheMetrics(cache)
    await hit(cache)
    expect(await register.metrics()).toContain('cacheguard_hits_total{cache="users"} 1')
    metrics.close()
    expect(names(register)).toEqual([])
  })

  it('labels a cache without namespace `default`, or with `name`', async () => {
    const registry = new Registry()
    const plain = createCache()
    const named = createCache({ namespace: 'users' })
    expect(cacheMetrics(plain, { registry }).name).toBe('default')
    expect(cacheMetrics(named, { registry, name: 'accounts' }).name).toBe('accounts')
    await hit(plain)
    await hit(named)
    expect(await read(registry, 'cacheguard_hits_total', { cache: 'default' })).toBe(1)
    expect(await read(registry, 'cacheguard_hits_total', { cache: 'accounts' })).toBe(1)
  })

  it('shares one set of metrics between caches, and unregisters it when the last closes', async () => {
    const registry = new Registry()
    const mine = new Counter({ name: 'app_requests_total', help: 'x', registers: [registry] })
    const first = cacheMetrics(createCache({ namespace: 'a' }), { registry, prefix: 'cg_' })
    const count = names(registry).length
    const second = cacheMetrics(createCache({ namespace: 'b' }), { registry, prefix: 'cg_' })
    expect(names(registry)).toHaveLength(count)
    first.close()
    expect(names(registry)).toHaveLength(count)
    second.close()
    expect(names(registry)).toEqual(['app_requests_total'])
    expect(registry.getSingleMetric('app_requests_total')).toBe(mine)
  })

  it('adds up caches that share a label; the series goes when the last of them closes', async () => {
    const registry = new Registry()
    const one = createCache({ namespace: 'users' })
    const two = createCache({ namespace: 'users' })
    const keep = cacheMetrics(createCache({ namespace: 'other' }), { registry })
    const m1 = cacheMetrics(one, { registry })
    const m2 = cacheMetrics(two, { registry })
    await hit(one)
    await hit(two)
    expect(await read(registry, 'cacheguard_hits_total', { cache: 'users' })).toBe(2)
    // Hits since the last scrape are kept when one of them closes: a counter never goes down.
    await hit(one, 'k2')
    m1.close()
    expect(await read(registry, 'cacheguard_hits_total', { cache: 'users' })).toBe(3)
    m2.close()
    expect(await read(registry, 'cacheguard_hits_total', { cache: 'users' })).toBeUndefined()
    expect(await read(registry, 'cacheguard_hits_total', { cache: 'other' })).toBe(0)
    keep.close()
  })

  it('refuses to measure one cache twice on a registry, not on two', () => {
    const registry = new Registry()
    const cache = createCache({ namespace: 'users' })
    cacheMetrics(cache, { registry })
    expect(() => cacheMetrics(cache, { registry, name: 'again' })).toThrow(
      new TypeError(
        'This cache already has metrics on this registry (label `users`): call close() on them first',
      ),
    )
    expect(() => cacheMetrics(cache, { registry: new Registry() })).not.toThrow()
  })

  it('refuses a lock guard measured with another cache', () => {
    const registry = new Registry()
    const guard = { stats: () => ({ acquired: 0 }) } as never
    cacheMetrics(createCache({ namespace: 'a' }), { registry, lockGuards: [guard] })
    expect(() =>
      cacheMetrics(createCache({ namespace: 'b' }), { registry, lockGuards: [guard] }),
    ).toThrow(/already measured with the cache labelled `a`/)
  })

  it('throws a clear error when a name is taken by another metric, and registers nothing', () => {
    const registry = new Registry()
    new Counter({ name: 'cacheguard_loads_total', help: 'mine', registers: [registry] })
    expect(() => cacheMetrics(createCache(), { registry })).toThrow(
      'A metric named `cacheguard_loads_total` is already registered on this registry, and not by ' +
        'this copy of @cacheguard/prometheus: pass another `prefix` or `registry`',
    )
    expect(names(registry)).toEqual(['cacheguard_loads_total'])
    expect(() => cacheMetrics(createCache(), { registry, prefix: 'app_cache_' })).not.toThrow()
  })

  it('registers the metrics again after the registry was cleared', async () => {
    const registry = new Registry()
    const first = createCache({ namespace: 'a' })
    cacheMetrics(first, { registry })
    registry.clear()
    const second = createCache({ namespace: 'b' })
    cacheMetrics(second, { registry })
    await hit(first)
    await hit(second)
    expect(await read(registry, 'cacheguard_hits_total', { cache: 'a' })).toBe(1)
    expect(await read(registry, 'cacheguard_hits_total', { cache: 'b' })).toBe(1)
  })

  it('keeps one set of buckets per registry and prefix', () => {
    const registry = new Registry()
    cacheMetrics(createCache({ namespace: 'a' }), { registry, buckets: [0.1, 1] })
    expect(() =>
      cacheMetrics(createCache({ namespace: 'b' }), { registry, buckets: [0.1, 1] }),
    ).not.toThrow()
    expect(() => cacheMetrics(createCache({ namespace: 'c' }), { registry })).not.toThrow()
    expect(() =>
      cacheMetrics(createCache({ namespace: 'd' }), { registry, buckets: [0.5] }),
    ).toThrow(
      "Expected `buckets` to be the ones this registry's `cacheguard_load_duration_seconds` already has, [0.1, 1], got [0.5]",
    )
  })

  it('writes counters with _total on an OpenMetrics registry', async () => {
    const registry = new Registry<OpenMetricsContentType>()
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
    const cache = createCache({ namespace: 'users' })
    const metrics = cacheMetrics(cache, { registry })
    await hit(cache)
    const text = await registry.metrics()
    expect(text).toContain('# TYPE cacheguard_hits counter')
    expect(text).toContain('cacheguard_hits_total{cache="users"} 1')
    expect(text).not.toContain('_total_total')
    metrics.close()
    expect(names(registry)).toEqual([])
  })
})

describe('cache metrics | warmup hooks', () => {
  it('records, then calls your own hooks; after close() only yours run', async () => {
    const registry = new Registry()
    const metrics = cacheMetrics(createCache({ namespace: 'w' }), { registry })
    const seen: string[] = []
    const hooks = metrics.warmupHooks({
      onReport: (report) => seen.push(`report:${report.loaded}`),
      onSkip: (skip) => seen.push(`skip:${skip.reason}`),
      onError: () => seen.push('error'),
    })
    const report = { loaded: 2, skipped: 0, failed: 0, durationMs: 5, aborted: true }
    hooks.onReport(report, new Date())
    hooks.onSkip({ reason: 'elsewhere' })
    hooks.onError(new Error('lock down'))
    const labels = { cache: 'w' }
    expect(
      await read(registry, 'cacheguard_warmup_runs_total', { ...labels, outcome: 'aborted' }),
    ).toBe(1)
    expect(
      await read(registry, 'cacheguard_warmup_skipped_ticks_total', {
        ...labels,
        reason: 'elsewhere',
      }),
    ).toBe(1)
    expect(await read(registry, 'cacheguard_warmup_errors_total', labels)).toBe(1)
    metrics.close()
    hooks.onReport(report, new Date())
    hooks.onError(new Error('again'))
    expect(seen).toEqual(['report:2', 'skip:elsewhere', 'error', 'report:2', 'error'])
    expect(names(registry)).toEqual([])
  })
})

describe('cache metrics | options', () => {
  const cache = createCache()
  const invalid: Array<[string, () => unknown, string]> = [
    [
      'cache',
      () => cacheMetrics({} as Cache),
      'Expected `cache` to be a cache from createCache, got `{}` (object)',
    ],
    [
      'options',
      () => cacheMetrics(cache, 'x' as CacheMetricsOptions),
      'Expected `options` to be an object, got `"x"` (string)',
    ],
    [
      'registry',
      () => cacheMetrics(cache, { registry: {} as Registry }),
      'Expected `registry` to be a prom-client Registry, got `{}` (object)',
    ],
    [
      'prefix',
      () => cacheMetrics(cache, { prefix: 'cache-guard' }),
      'Expected `prefix` to be a string of letters, digits, _ and : (not starting with a digit), got `"cache-guard"` (string)',
    ],
    [
      'name',
      () => cacheMetrics(cache, { name: '' }),
      'Expected `name` to be a non-empty string, got `""` (string)',
    ],
    [
      'lockGuards',
      () => cacheMetrics(cache, { lockGuards: [{}] as never }),
      'Expected `lockGuards` to be an array of lock guards (objects with `stats()`), got `[{}]` (array)',
    ],
    [
      'buckets',
      () => cacheMetrics(cache, { buckets: [1, 0.5] }),
      'Expected `buckets` to be a non-empty array of increasing numbers of seconds, got `[1,0.5]` (array)',
    ],
  ]
  it.each(invalid)('throws a TypeError for a bad `%s`, saying what it got', (_, call, message) => {
    expect(call).toThrow(new TypeError(message))
    expect(names(register)).toEqual([])
  })

  it('throws a TypeError for a report that is not one', () => {
    const metrics = cacheMetrics(cache, { registry: new Registry() })
    expect(() => metrics.observeWarmup({ loaded: 1 } as never)).toThrow(
      new TypeError(
        'Expected `report` to be a warmup report ({ loaded, skipped, failed, durationMs }), got `{"loaded":1}` (object)',
      ),
    )
  })
})

describe('docs/operations.md', () => {
  it('lists every metric exactly once, with its type and labels', async () => {
    const doc = await readFile(new URL('../../../docs/operations.md', import.meta.url), 'utf8')
    const rows = [...doc.matchAll(/^\| `(cacheguard_\w+)` \| (\w+) \| ([^|]+) \|/gm)]
    const registry = new Registry()
    cacheMetrics(createCache(), { registry })
    const registered = await registry.getMetricsAsJSON()
    expect(rows.map((row) => row[1]).sort()).toEqual(registered.map((m) => m.name).sort())
    for (const [, name, type, labels] of rows) {
      const metric = registry.getSingleMetric(name!) as unknown as {
        type: string
        labelNames: string[]
      }
      expect(type, name).toBe(metric.type)
      expect(labels!.trim(), name).toBe(metric.labelNames.map((l) => `\`${l}\``).join(', '))
    }
  })
})
