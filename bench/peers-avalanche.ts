// Avalanche against the peers: 10,000 keys are written together with one TTL (3 s), then steady
// traffic for random keys (5,000 requests/s) runs past that TTL, on the same Redis; the source of
// truth answers after 50 ms. Measured per library: its loader calls in each 100 ms of the traffic,
// the busiest 100 ms (the headline), and the callers' p99 latency. cacheguard's keys are written
// through `warmup`, so their TTLs carry the cache's jitter; the peers have no jitter and are set up
// with their stale-while-revalidate options, as their docs recommend against expiry.
// BENCH_KEYS, BENCH_TTL_MS, BENCH_RATE and BENCH_LOADER_MS change it.
import { createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { warmup } from '@cacheguard/warmup'
import { connectBenchRedis, deleteKeys } from './lib/connect.js'
import { percentile } from './lib/measure.js'
import {
  type Load,
  type PeerCache,
  peerFactories,
  peerVersions,
  plainCacheAside,
} from './lib/peers.js'
import { writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'

const keyCount = Number(process.env.BENCH_KEYS ?? 10_000)
const ttlMs = Number(process.env.BENCH_TTL_MS ?? 3000)
const rate = Number(process.env.BENCH_RATE ?? 5000)
const loaderMs = Number(process.env.BENCH_LOADER_MS ?? 50)
/** The traffic outlasts the longest jittered TTL (1.1 x) by 0.4 x the TTL. */
const durationMs = 1.5 * ttlMs
/** How long an expired entry may be served while it is refreshed: longer than the whole run. */
const staleMs = 60_000
const bucketMs = 100
const tickMs = 10
/** Keys written at once while filling: "together", as a deploy or a batch job would. */
const fillConcurrency = 256
// Per process, so that two runs against one server never touch each other's keys.
const prefix = `bench:peers-avalanche:${process.pid}:`
const keys = Array.from({ length: keyCount }, (_, i) => `item:${i}`)
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const { redis, url } = await connectBenchRedis('the peers avalanche benchmark')

/** The source of truth; it counts the loads that start during the traffic, per 100 ms. */
function sourceOfTruth() {
  const state = { counting: false, origin: 0, buckets: [] as number[], inFlight: 0 }
  const load: Load = async (key) => {
    if (state.counting) {
      const bucket = Math.floor((performance.now() - state.origin) / bucketMs)
      state.buckets[bucket] = (state.buckets[bucket] ?? 0) + 1
      state.inFlight++
      await pause(loaderMs)
      state.inFlight--
    }
    return { id: key, name: `Item ${key}`, tags: ['a', 'b', 'c'] }
  }
  return { state, load }
}

/** A contender: `create` builds it over `load`, `fill` writes every key together. */
interface Entry {
  option: string
  create: (load: Load, own: string) => PeerCache & { fill?: () => Promise<void> }
}

/** cacheguard over Redis with `options`, its keys written by a warmup (jittered TTLs). */
function cacheguardEntry(name: string, option: string, options: object): Entry {
  return {
    option,
    create(load, own) {
      const cache = createCache({
        store: redisStore(redis, { prefix: own }),
        ttl: ttlMs,
        jitter: 0.1,
        ...options,
      })
      return {
        name,
        get: (key) => cache.getOrSet(key, () => load(key)),
        close: async () => {},
        // warmup writes with cache.set, so each key's TTL is the cache's ttl x U[0.9, 1.1].
        async fill() {
          const report = await warmup(cache, { keys, load, concurrency: fillConcurrency })
          if (report.loaded !== keyCount) throw new Error(`warmup loaded ${report.loaded} keys`)
        },
      }
    },
  }
}

const entries: Entry[] = [
  {
    option: 'one TTL, no protection',
    create: (load, own) => plainCacheAside({ redis, prefix: own, load, ttlMs }),
  },
  cacheguardEntry('cacheguard, jitter only', 'warmup-written, jitter 0.1', {}),
  // The setup of docs/guards/avalanche.md: jittered TTLs, grace, and a cap on loads.
  cacheguardEntry(
    'cacheguard, avalanche guide',
    'warmup-written, jitter 0.1, grace 1m, loadConcurrency 32',
    { grace: staleMs, loadConcurrency: 32 },
  ),
  ...peerFactories().map(
    (factory): Entry => ({
      option: 'no jitter; its stale-while-revalidate (see bench/lib/peers.ts)',
      create: (load, own) =>
        factory({ tier: 'redis', redis, url, prefix: own, load, ttlMs, staleMs }),
    }),
  ),
]

/**
 * Sends `rate` requests per second for random keys through `peer` for `durationMs` (each 10 ms,
 * the requests due by then), and times each from its send to its answer.
 */
async function traffic(peer: PeerCache) {
  const latencies: number[] = []
  let errors = 0
  let firstError: string | undefined
  const one = async (key: string) => {
    const sent = performance.now()
    try {
      const answer = (await peer.get(key)) as { id?: string } | undefined
      if (answer?.id !== key) throw new Error(`answered ${JSON.stringify(answer)} for ${key}`)
    } catch (error) {
      errors++
      firstError ??= String(error)
    }
    latencies.push(performance.now() - sent)
  }
  const pending: Array<Promise<void>> = []
  const started = performance.now()
  let sent = 0
  for (let elapsed = 0; elapsed < durationMs; elapsed = performance.now() - started) {
    const due = Math.floor((elapsed * rate) / 1000)
    for (; sent < due; sent++) pending.push(one(keys[Math.floor(Math.random() * keyCount)]!))
    await pause(tickMs)
  }
  await Promise.all(pending)
  latencies.sort((a, b) => a - b)
  return {
    requests: latencies.length,
    errors,
    firstError,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  }
}

const rows: Array<Record<string, unknown> & { name: string; peakLoads: number }> = []
try {
  console.log(
    `peers, avalanche: ${keyCount.toLocaleString('en-US')} keys written together, TTL ${ttlMs} ms; then ${rate.toLocaleString('en-US')} requests/s for random keys during ${durationMs} ms; loader ${loaderMs} ms\n`,
  )
  for (const [i, entry] of entries.entries()) {
    const own = `${prefix}${i}:`
    const { state, load } = sourceOfTruth()
    const peer = entry.create(load, own)
    try {
      const fillStarted = performance.now()
      if (peer.fill) await peer.fill()
      else {
        let next = 0
        const worker = async () => {
          while (next < keyCount) await peer.get(keys[next++]!)
        }
        await Promise.all(Array.from({ length: fillConcurrency }, worker))
      }
      const fillMs = performance.now() - fillStarted
      state.origin = performance.now()
      state.counting = true
      const measured = await traffic(peer)
      // Refreshes still running write their keys when they end: wait for them before cleaning up.
      for (let waited = 0; state.inFlight > 0 && waited < 5000; waited += 50) await pause(50)
      const timeline = Array.from(
        { length: Math.ceil(durationMs / bucketMs) },
        (_, b) => state.buckets[b] ?? 0,
      )
      const row = {
        name: peer.name,
        option: entry.option,
        peakLoads: Math.max(...timeline),
        peakAtMs: timeline.indexOf(Math.max(...timeline)) * bucketMs,
        loads: state.buckets.reduce((sum, n) => sum + (n ?? 0), 0),
        ...measured,
        fillMs,
        timeline,
      }
      rows.push(row)
      console.log(
        `${peer.name.padEnd(36)} busiest 100 ms: ${String(row.peakLoads).padStart(4)} loads (at ${row.peakAtMs} ms)   loads: ${String(row.loads).padStart(5)}   p99 ${measured.p99Ms.toFixed(1)} ms   errors ${measured.errors}   filled in ${Math.round(fillMs)} ms`,
      )
      if (measured.firstError) console.log(`  first error: ${measured.firstError}`)
    } finally {
      await peer.close()
      await pause(100)
      await deleteKeys(redis, `${own}*`)
    }
  }
  console.log(
    `\nLoads are counted as they start, in 100 ms buckets from the traffic's start (the keys were written just before it).`,
  )

  const info = await runInfo(redis)
  const results = {
    ...info,
    peers: await peerVersions(),
    keyCount,
    ttlMs,
    rate,
    loaderMs,
    durationMs,
    staleMs,
    fillConcurrency,
    rows,
  }
  const file = await writeResults('peers-avalanche', results)
  console.log(`Node ${info.node}, Redis ${info.redis}, ${info.cpus} CPUs; written to ${file}`)
} finally {
  await deleteKeys(redis, `${prefix}*`)
  await redis.quit()
}
