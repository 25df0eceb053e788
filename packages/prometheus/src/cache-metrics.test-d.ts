// Type tests, checked by `pnpm typecheck` (tsc): the public generics infer what users expect.
import { createCache } from '@cacheguard/core'
import { lockGuard } from '@cacheguard/lock'
import { type SkippedTick, scheduleWarmup, type WarmupReport } from '@cacheguard/warmup'
import { Redlock } from '@sesamecare-oss/redlock'
import { Redis } from 'ioredis'
import { type OpenMetricsContentType, Registry } from 'prom-client'
import { expectTypeOf } from 'vitest'
import { type CacheMetrics, cacheMetrics } from './index.js'

const guard = lockGuard({ redlock: new Redlock([new Redis()]) })
const cache = createCache({ guards: [guard] })

// A lock guard and an OpenMetrics registry are accepted as they are.
const metrics = cacheMetrics(cache, {
  lockGuards: [guard],
  registry: new Registry<OpenMetricsContentType>(),
})
expectTypeOf(metrics).toEqualTypeOf<CacheMetrics>()

// Your own hooks keep the types scheduleWarmup gives them, and the result spreads into its options.
const hooks = metrics.warmupHooks({
  onReport: (report: WarmupReport) => console.log(report.errors),
  onSkip: (skip: SkippedTick) => console.log(skip.tick),
})
expectTypeOf(hooks.onReport).parameter(0).toEqualTypeOf<WarmupReport>()
scheduleWarmup(cache, { cron: '* * * * *', keys: [], load: () => 1, ...hooks })
scheduleWarmup(cache, { cron: '* * * * *', keys: [], load: () => 1, ...metrics.warmupHooks() })

// A warmup report is what observeWarmup takes.
declare const report: WarmupReport
metrics.observeWarmup(report)
