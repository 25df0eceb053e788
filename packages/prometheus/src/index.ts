export {
  type CacheMetrics,
  type CacheMetricsOptions,
  cacheMetrics,
  type WarmupHooks,
  type WarmupReportLike,
  type WarmupSkipLike,
} from './cache-metrics.js'
export type { LockGuardStatsLike } from './internal/definitions.js'
