// The same warmup scheduled inside the app, every 2 seconds here (every 5 minutes in real life:
// '*/5 * * * *'). With the Redlock, one process of the fleet runs each tick; start this file
// twice and watch the ticks split between them. It stops after --ticks ticks (default 3).
import { scheduleWarmup } from '@cacheguard/warmup'
import { Redlock } from '@sesamecare-oss/redlock'
import { Redis } from 'ioredis'
import { findProduct, productCache, productIds } from './catalog.js'

const ticks = Number(process.argv[process.argv.indexOf('--ticks') + 1] || 3)
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: 1,
})
const cache = productCache(redis, process.env.CACHE_PREFIX)

let seen = 0
let finish = () => {}
const done = new Promise<void>((resolve) => {
  finish = resolve
})
const count = () => {
  if (++seen >= ticks) finish()
}
const schedule = scheduleWarmup(cache, {
  cron: '*/2 * * * * *',
  lock: new Redlock([redis]),
  name: 'products',
  keys: productIds,
  load: findProduct,
  freshFor: 60_000,
  onReport: (report, tick) => {
    console.log(
      `${tick.toISOString()} ran: ${report.loaded} loaded, ${report.skipped} skipped, ${report.failed} failed`,
    )
    count()
  },
  onSkip: ({ tick, reason }) => {
    console.log(`${tick.toISOString()} skipped: ${reason}`)
    count()
  },
  onError: (error) => console.error('warmup error:', error),
})

// Stop on SIGTERM (a deploy) as after the last tick: stop() waits for a running job.
process.once('SIGTERM', () => finish())
await done
await schedule.stop()
await redis.quit()
