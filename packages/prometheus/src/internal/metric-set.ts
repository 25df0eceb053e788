import type { CacheStats } from '@cacheguard/core'
import {
  Counter,
  Gauge,
  Histogram,
  type OpenMetricsContentType,
  type PrometheusContentType,
  type Registry,
} from 'prom-client'
import {
  EVENT_METRICS,
  LOCK_COUNTERS,
  type LockGuardStatsLike,
  STAT_COUNTERS,
  STAT_GAUGES,
} from './definitions.js'

export type AnyRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>
type Labels = Record<string, string>
type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>

/** prom-client's default buckets, in seconds: 5 ms to 10 s. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

/** One measured cache, as the collect callbacks read it. */
export interface Source {
  readonly cache: { stats(): CacheStats }
  readonly label: string
  readonly locks: ReadonlyArray<{ stats(): LockGuardStatsLike }>
  /** The last value of each counter read from `stats()`, so a scrape adds only what is new. */
  readonly seen: Map<string, number>
}

/** The metrics of one registry and prefix, shared by every cache measured on them. */
export interface MetricSet {
  readonly loadDuration: Histogram<string>
  readonly blocked: Counter<string>
  readonly invalidations: Counter<string>
  readonly errors: Counter<string>
  readonly breakerState: Gauge<string>
  readonly breakerTransitions: Counter<string>
  readonly warmupRuns: Counter<string>
  readonly warmupKeys: Counter<string>
  readonly warmupLastDuration: Gauge<string>
  readonly warmupLastTimestamp: Gauge<string>
  readonly warmupSkippedTicks: Counter<string>
  readonly warmupErrors: Counter<string>
  inc(metric: Counter<string>, labels: Labels, value?: number): void
  set(metric: Gauge<string>, labels: Labels, value: number): void
  observe(metric: Histogram<string>, labels: Labels, value: number): void
  /** Stops reading `source`; drops its label's series if no other source has that label. */
  detach(source: Source): void
}

interface SharedSet extends MetricSet {
  readonly buckets: readonly number[]
  attach(source: Source): void
}

const sets = new WeakMap<AnyRegistry, Map<string, SharedSet>>()

/**
 * Adds `source` to the metric set of `registry` and `prefix`, creating and registering the
 * metrics on first use. Throws before touching the registry when the source cannot be added.
 */
export function attach(
  registry: AnyRegistry,
  prefix: string,
  buckets: readonly number[] | undefined,
  source: Source,
): MetricSet {
  let byPrefix = sets.get(registry)
  if (byPrefix === undefined) {
    byPrefix = new Map()
    sets.set(registry, byPrefix)
  }
  const existing = byPrefix.get(prefix)
  if (existing !== undefined) {
    if (buckets !== undefined && !sameNumbers(buckets, existing.buckets)) {
      throw new TypeError(
        `Expected \`buckets\` to be the ones this registry's \`${prefix}load_duration_seconds\` already has, [${existing.buckets.join(', ')}], got [${buckets.join(', ')}]: pass the same buckets to every cacheMetrics on one registry, or another \`prefix\``,
      )
    }
    existing.attach(source)
    return existing
  }
  const forget = () => byPrefix.delete(prefix)
  const created = createMetricSet(registry, prefix, buckets ?? DEFAULT_BUCKETS, forget)
  created.attach(source)
  byPrefix.set(prefix, created)
  return created
}

function createMetricSet(
  registry: AnyRegistry,
  prefix: string,
  buckets: readonly number[],
  forget: () => void,
): SharedSet {
  const sources = new Set<Source>()
  const labelUsers = new Map<string, number>()
  // Every series written, by cache label, so close() can remove exactly its own.
  const series = new Map<string, Map<AnyMetric, Map<string, Labels>>>()
  const metrics = new Map<string, AnyMetric>()

  const names = [
    ...STAT_COUNTERS.map((d) => d.name),
    ...STAT_GAUGES.map((d) => d.name),
    ...LOCK_COUNTERS.map((d) => d.name),
    ...Object.values(EVENT_METRICS).map((d) => d.name),
  ].map((name) => prefix + name)
  const taken = names.find((name) => registry.getSingleMetric(name) !== undefined)
  if (taken !== undefined) throw conflict(taken)

  const track = (metric: AnyMetric, labels: Labels) => {
    const cache = labels.cache ?? ''
    const byMetric = series.get(cache) ?? new Map<AnyMetric, Map<string, Labels>>()
    series.set(cache, byMetric)
    const byLabels = byMetric.get(metric) ?? new Map<string, Labels>()
    byMetric.set(metric, byLabels)
    byLabels.set(JSON.stringify(labels), labels)
  }
  const inc = (metric: Counter<string>, labels: Labels, value = 1) => {
    track(metric, labels)
    metric.inc(labels, value)
  }
  // Adds what a stats counter gained since the last scrape. Prometheus counters only go up; a
  // count that went down was reset (a new object behind the same shape), so all of it is new.
  const advance = (source: Source, key: string, value: unknown, counter: Counter<string>) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return
    const before = source.seen.get(key) ?? 0
    source.seen.set(key, value)
    inc(counter, { cache: source.label }, value >= before ? value - before : value)
  }
  const readStats = <T>(read: () => T): T | undefined => {
    try {
      return read()
    } catch {
      // A stats() that throws must not fail the whole scrape; its counters wait for the next one.
      return undefined
    }
  }
  const collectStat = (source: Source, def: (typeof STAT_COUNTERS)[number], c: Counter<string>) =>
    advance(source, def.stat, readStats(() => source.cache.stats())?.[def.stat], c)
  const collectLock = (source: Source, def: (typeof LOCK_COUNTERS)[number], c: Counter<string>) =>
    source.locks.forEach((guard, i) => {
      advance(source, `lock${i}:${def.stat}`, readStats(() => guard.stats())?.[def.stat], c)
    })

  const register = <M extends AnyMetric>(name: string, metric: M): M => {
    metrics.set(prefix + name, metric)
    return metric
  }
  // Counters read at scrape time from each measured source's stats.
  const polled = <D extends { name: string; help: string }>(
    defs: readonly D[],
    collectOne: (source: Source, def: D, counter: Counter<string>) => void,
  ) =>
    defs.map((def) => {
      const counter: Counter<string> = register(
        def.name,
        new Counter({
          name: prefix + def.name,
          help: def.help,
          labelNames: ['cache'],
          registers: [registry],
          collect: () => {
            for (const source of sources) collectOne(source, def, counter)
          },
        }),
      )
      return { def, counter }
    })
  const statCounters = polled(STAT_COUNTERS, collectStat)
  // Gauges read at scrape time: the sum over the sources that share a label.
  for (const def of STAT_GAUGES) {
    const gauge: Gauge<string> = register(
      def.name,
      new Gauge({
        name: prefix + def.name,
        help: def.help,
        labelNames: ['cache'],
        registers: [registry],
        aggregator: 'sum',
        collect: () => {
          const sums = new Map<string, number>()
          for (const source of sources) {
            const value = readStats(() => source.cache.stats())?.[def.stat]
            if (typeof value !== 'number' || !Number.isFinite(value)) continue
            sums.set(source.label, (sums.get(source.label) ?? 0) + value)
          }
          for (const [label, value] of sums) {
            track(gauge, { cache: label })
            gauge.set({ cache: label }, value)
          }
        },
      }),
    )
  }
  const lockCounters = polled(LOCK_COUNTERS, collectLock)
  const counter = (def: { name: string; help: string; labelNames: readonly string[] }) =>
    register(def.name, new Counter({ ...def, name: prefix + def.name, registers: [registry] }))
  // `max` is what a cluster AggregatorRegistry reports across workers: the latest run, an open breaker.
  const gauge = (def: { name: string; help: string; labelNames: readonly string[] }) =>
    register(
      def.name,
      new Gauge({ ...def, name: prefix + def.name, registers: [registry], aggregator: 'max' }),
    )
  const e = EVENT_METRICS

  const set: SharedSet = {
    buckets,
    loadDuration: register(
      e.loadDuration.name,
      new Histogram({
        ...e.loadDuration,
        name: prefix + e.loadDuration.name,
        buckets: [...buckets],
        registers: [registry],
      }),
    ),
    blocked: counter(e.blocked),
    invalidations: counter(e.invalidations),
    errors: counter(e.errors),
    breakerState: gauge(e.breakerState),
    breakerTransitions: counter(e.breakerTransitions),
    warmupRuns: counter(e.warmupRuns),
    warmupKeys: counter(e.warmupKeys),
    warmupLastDuration: gauge(e.warmupLastDuration),
    warmupLastTimestamp: gauge(e.warmupLastTimestamp),
    warmupSkippedTicks: counter(e.warmupSkippedTicks),
    warmupErrors: counter(e.warmupErrors),
    inc,
    set(metric, labels, value) {
      track(metric, labels)
      metric.set(labels, value)
    },
    observe(metric, labels, value) {
      track(metric, labels)
      metric.observe(labels, value)
    },

    attach(source) {
      for (const other of sources) {
        if (other.cache === source.cache) {
          throw new TypeError(
            `This cache already has metrics on this registry (label \`${other.label}\`): call close() on them first`,
          )
        }
        const shared = source.locks.find((guard) => other.locks.includes(guard))
        if (shared !== undefined) {
          throw new TypeError(
            `This lock guard is already measured with the cache labelled \`${other.label}\`: pass each lock guard once`,
          )
        }
      }
      ensureRegistered()
      sources.add(source)
      labelUsers.set(source.label, (labelUsers.get(source.label) ?? 0) + 1)
      // The histogram's buckets are there from the first scrape, at 0.
      track(set.loadDuration, { cache: source.label })
      set.loadDuration.zero({ cache: source.label })
    },

    detach(source) {
      if (!sources.has(source)) return
      const users = (labelUsers.get(source.label) ?? 1) - 1
      if (users > 0) {
        // The label lives on with another cache: keep what this one counted since the last scrape.
        for (const { def, counter } of statCounters) collectStat(source, def, counter)
        for (const { def, counter } of lockCounters) collectLock(source, def, counter)
        labelUsers.set(source.label, users)
      } else {
        labelUsers.delete(source.label)
        for (const [metric, byLabels] of series.get(source.label) ?? []) {
          for (const labels of byLabels.values()) metric.remove(labels)
        }
        series.delete(source.label)
      }
      sources.delete(source)
      if (sources.size > 0) return
      // Nobody measures on these metrics any more: leave the registry as it was found.
      for (const [name, metric] of metrics) {
        if (registry.getSingleMetric(name) === metric) registry.removeSingleMetric(name)
      }
      forget()
    },
  }

  // The user may have cleared the registry since the metrics were created: put them back.
  const ensureRegistered = () => {
    const missing: Array<[string, AnyMetric]> = []
    for (const [name, metric] of metrics) {
      const current = registry.getSingleMetric(name)
      if (current === metric) continue
      if (current !== undefined) throw conflict(name)
      missing.push([name, metric])
    }
    for (const [, metric] of missing) registry.registerMetric(metric)
  }

  return set
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i])
}

function conflict(name: string): Error {
  return new Error(
    `A metric named \`${name}\` is already registered on this registry, and not by this copy of ` +
      '@cacheguard/prometheus: pass another `prefix` or `registry`',
  )
}
