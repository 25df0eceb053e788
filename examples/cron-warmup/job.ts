// A warmup job for the `cacheguard-warmup` CLI, for system cron or a Kubernetes CronJob:
//   cacheguard-warmup examples/cron-warmup/job.ts
// The default export is a function, so the Redis connection opens only when the job runs, and
// `close` quits it when the run is over.
import type { WarmupJob } from '@cacheguard/warmup'
import { Redis } from 'ioredis'
import { findProduct, productCache, productIds } from './catalog.js'

export default function job(): WarmupJob {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    maxRetriesPerRequest: 1,
  })
  return {
    cache: productCache(redis, process.env.CACHE_PREFIX),
    keys: productIds,
    load: findProduct,
    concurrency: 32,
    // Refresh-ahead: also reload keys that stop being fresh within the next minute.
    freshFor: 60_000,
    close: () => redis.quit(),
  }
}
