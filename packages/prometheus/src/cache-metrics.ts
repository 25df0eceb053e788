import { type Cache, withoutUndefined } from '@cacheguard/core'
import { type OpenMetricsContentType, type Registry, register } from 'prom-client'
import { BREAKER_STATES, type LockGuardStatsLike } from './internal/definitions.js'
import { type AnyRegistry, attach, type Source } from './internal/metric-set.js'
import { checkBuckets, describeValue, hasMethods } from './internal/validate.js'

/** Options of `cacheMetrics`. */
export interface CacheMetricsOptions {
  /** The prom-client registry the metrics are registered on. @default prom-client's default `register` */
  registry?: Registry | Registry<OpenMetricsContentType>
  /** Prepended to every metric name. @default 'cacheguard_' */
  prefix?: string
  /** The value of the `cache` label on this cache's series. @default the cache's `namespace`, or `'default'` without one */
  name?: string
  /** The cache's lock guards (`lockGuard` from `@cacheguard/lock`), whose `stats()` are exported too. @default [] */
  lockGuards?: ReadonlyArray<{ stats(): LockGuardStatsLike }>
  /** Upper bounds of the load duration histogram, in seconds; one set per registry and prefix. @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] */
  buckets?: readonly number[]
}

/** What `observeWarmup` reads from a warmup report (`WarmupReport` from `@cacheguard/warmup`). */
export interface WarmupReportLike {
  loaded: number
  skipped: number
  failed: number
  durationMs: number
  aborted?: boolean
}

/** What the `onSkip` hook reads from a skipped tick (`SkippedTick` from `@cacheguard/warmup`). */
export interface WarmupSkipLike {
  reason: string
}

/** The callbacks of `scheduleWarmup` that `warmupHooks` fills in. */
export interface WarmupHooks<R extends WarmupReportLike, S extends WarmupSkipLike> {
  onReport: (report: R, tick: Date) => void
  onSkip: (skip: S) => void
  onError: (error: unknown) => void
}

/** The metrics of one cache, as `cacheMetrics` returns them. */
export interface CacheMetrics {
  /** The value of the `cache` label on this cache's series. */
  readonly name: string
  /**
   * Records one warmup run: its outcome, its keys by result, its duration and when it ended.
   *
   * @example
   * metrics.observeWarmup(await warmup(cache, { keys, load }))
   */
  observeWarmup(report: WarmupReportLike): void
  /**
   * `scheduleWarmup` callbacks that record runs, skipped ticks and errors, then call yours.
   *
   * @example
   * scheduleWarmup(cache, { cron: '*\/5 * * * *', keys, load, ...metrics.warmupHooks({ onError: log }) })
   */
  warmupHooks<
    R extends WarmupReportLike = WarmupReportLike,
    S extends WarmupSkipLike = WarmupSkipLike,
  >(own?: Partial<WarmupHooks<R, S>>): WarmupHooks<R, S>
  /**
   * Stops listening to the cache and removes this cache's series; once no cache is measured on
   * them, the metrics leave the registry. Idempotent.
   */
  close(): void
}

const DEFAULTS = { prefix: 'cacheguard_', lockGuards: [] } as const
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/

/**
 * Exports a cache's stats and events as Prometheus metrics with prom-client, labelled by
 * `cache`: hits, misses, stale hits, loads and their duration, coalesced callers, blocked keys,
 * errors by code, the breaker's state, and the given lock guards' waits and timeouts. Several
 * caches share one registry: the metrics are registered once and each cache has its own series.
 *
 * @example
 * const metrics = cacheMetrics(cache, { lockGuards: [guard] })
 * http.createServer(async (_, res) => res.end(await register.metrics())).listen(9464)
 */
export function cacheMetrics(cache: Cache, options: CacheMetricsOptions = {}): CacheMetrics {
  if (!hasMethods(cache, ['stats', 'on'])) {
    throw new TypeError(
      `Expected \`cache\` to be a cache from createCache, got ${describeValue(cache)}`,
    )
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(options)}`)
  }
  const o = { ...DEFAULTS, registry: register, ...withoutUndefined(options) }
  const registry = o.registry as AnyRegistry
  if (!hasMethods(registry, ['getSingleMetric', 'registerMetric', 'removeSingleMetric'])) {
    throw new TypeError(
      `Expected \`registry\` to be a prom-client Registry, got ${describeValue(o.registry)}`,
    )
  }
  if (typeof o.prefix !== 'string' || (o.prefix !== '' && !METRIC_NAME.test(o.prefix))) {
    throw new TypeError(
      `Expected \`prefix\` to be a string of letters, digits, _ and : (not starting with a digit), got ${describeValue(o.prefix)}`,
    )
  }
  const name = o.name ?? (cache.namespace === '' ? 'default' : cache.namespace)
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`Expected \`name\` to be a non-empty string, got ${describeValue(name)}`)
  }
  if (!Array.isArray(o.lockGuards) || !o.lockGuards.every((g) => hasMethods(g, ['stats']))) {
    throw new TypeError(
      `Expected \`lockGuards\` to be an array of lock guards (objects with \`stats()\`), got ${describeValue(o.lockGuards)}`,
    )
  }
  const buckets = o.buckets === undefined ? undefined : checkBuckets(o.buckets)

  const source: Source = { cache, label: name, locks: [...o.lockGuards], seen: new Map() }
  const m = attach(registry, o.prefix, buckets, source)
  const labels = { cache: name }
  const unsubscribe = [
    // Hits and misses are read from stats() at scrape time: no listener sits on the hot path.
    cache.on('load', ({ durationMs }) => m.observe(m.loadDuration, labels, durationMs / 1000)),
    cache.on('blocked', ({ guard }) => m.inc(m.blocked, { cache: name, guard })),
    cache.on('invalidate', ({ kind }) => m.inc(m.invalidations, { cache: name, kind })),
    cache.on('error', ({ operation, error }) => {
      const code = typeof error?.code === 'string' ? error.code : 'unknown'
      m.inc(m.errors, { cache: name, code, operation })
    }),
    cache.on('breaker', ({ state, store }) => {
      // One series per state, 1 for the current one: `breaker_state{state="open"} == 1` alerts.
      for (const s of BREAKER_STATES) {
        m.set(m.breakerState, { cache: name, store, state: s }, s === state ? 1 : 0)
      }
      m.inc(m.breakerTransitions, { cache: name, store, state })
    }),
  ]
  let closed = false

  const observeWarmup = (report: WarmupReportLike) => {
    const counts = ['loaded', 'skipped', 'failed', 'durationMs'] as const
    if (
      typeof report !== 'object' ||
      report === null ||
      !counts.every((k) => typeof report[k] === 'number' && report[k] >= 0)
    ) {
      throw new TypeError(
        `Expected \`report\` to be a warmup report ({ loaded, skipped, failed, durationMs }), got ${describeValue(report)}`,
      )
    }
    if (closed) return
    const outcome = report.aborted ? 'aborted' : report.failed > 0 ? 'partial' : 'complete'
    m.inc(m.warmupRuns, { cache: name, outcome })
    for (const result of ['loaded', 'skipped', 'failed'] as const) {
      m.inc(m.warmupKeys, { cache: name, result }, report[result])
    }
    m.set(m.warmupLastDuration, labels, report.durationMs / 1000)
    m.set(m.warmupLastTimestamp, labels, Date.now() / 1000)
  }

  return {
    name,
    observeWarmup,
    warmupHooks(own = {}) {
      return {
        onReport(report, tick) {
          safely(() => observeWarmup(report))
          own.onReport?.(report, tick)
        },
        onSkip(skip) {
          if (!closed) m.inc(m.warmupSkippedTicks, { cache: name, reason: String(skip?.reason) })
          own.onSkip?.(skip)
        },
        onError(error) {
          if (!closed) m.inc(m.warmupErrors, labels)
          own.onError?.(error)
        },
      }
    },
    close() {
      if (closed) return
      closed = true
      for (const off of unsubscribe) off()
      m.detach(source)
    },
  }
}

function safely(fn: () => void): void {
  try {
    fn()
  } catch {
    // A metric that cannot be recorded must not keep the user's own hook from running.
  }
}
