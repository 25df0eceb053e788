// Warmup throughput: `warmup(cache, { keys, load, concurrency: 32 })` over a backend whose every
// load waits 2 ms, on the memory store and on Redis, as a ratio to the ideal (concurrency / 2 ms =
// 16,000 keys/s) and to a bare p-limit loop over the same backend in the same run (setTimeout(2)
// waits longer than 2 ms, so the loop is the reachable rate). BENCH_KEYS and BENCH_ROUNDS change it.
import { type Cache, createCache, memoryStore } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { warmup } from '@cacheguard/warmup'
import pLimit from 'p-limit'
import { connectBenchRedis } from './lib/connect.js'
import { median } from './lib/measure.js'
import { printRows, writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'

const keyCount = Number(process.env.BENCH_KEYS ?? 20_000)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const concurrency = 32
const backendMs = 2
const idealKeysPerSecond = (concurrency * 1000) / backendMs
const target = 0.8
// Per process, so that two runs against one server never touch each other's keys.
const prefix = `bench:warmup:${process.pid}:`

const { redis } = await connectBenchRedis('the warmup benchmark')

type Load = (key: string) => Promise<{ id: number; name: string; tags: string[]; score: number }>

/** What the backend saw during one run. */
interface BackendStats {
  calls: number
  inFlight: number
  maxInFlight: number
  /** Time the loads really waited, summed: setTimeout(2) takes more than 2 ms. */
  waitedMs: number
}

/** The source of truth: every load waits `backendMs`, then returns a small object. */
function backend(): { load: Load; stats: BackendStats } {
  const stats: BackendStats = { calls: 0, inFlight: 0, maxInFlight: 0, waitedMs: 0 }
  const load: Load = async (key) => {
    stats.calls++
    stats.inFlight++
    if (stats.inFlight > stats.maxInFlight) stats.maxInFlight = stats.inFlight
    const started = performance.now()
    await new Promise((resolve) => setTimeout(resolve, backendMs))
    stats.waitedMs += performance.now() - started
    stats.inFlight--
    const id = Number(key.slice(key.lastIndexOf(':') + 1))
    return { id, name: `User ${id}`, tags: ['admin', 'beta', 'eu'], score: id % 100 }
  }
  return { load, stats }
}

/** A contender: `prepare` builds what a run needs (a fresh cache) outside the timed part. */
interface Contender {
  name: string
  prepare: () => (keys: string[], load: Load) => Promise<void>
}

/** Warms every key through `warmup`, and fails the benchmark if a key was not loaded. */
const warmupOn = (name: string, makeCache: () => Cache): Contender => ({
  name,
  prepare: () => {
    const cache = makeCache()
    return async (keys, load) => {
      const report = await warmup(cache, { keys, load, concurrency })
      if (report.loaded !== keys.length || report.failed > 0) {
        throw new Error(
          `${name}: loaded ${report.loaded} of ${keys.length} keys, ${report.failed} failed`,
          { cause: report.errors[0]?.error },
        )
      }
    }
  },
})

const contenders: Contender[] = [
  {
    name: 'bare p-limit loop (no cache)',
    prepare: () => async (keys, load) => {
      const limit = pLimit(concurrency)
      await Promise.all(keys.map((key) => limit(() => load(key))))
    },
  },
  warmupOn('warmup, memoryStore', () =>
    createCache({ store: memoryStore({ maxEntries: keyCount }), ttl: '10m' }),
  ),
  warmupOn('warmup, redisStore', () =>
    createCache({ store: redisStore(redis, { prefix }), ttl: '10m' }),
  ),
]

/** One timed run of a contender over fresh keys; the Redis keys it wrote are deleted after. */
async function measure(contender: Contender, keys: string[]) {
  const run = contender.prepare()
  const { load, stats } = backend()
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  await run(keys, load)
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  await deleteKeys()
  return {
    keysPerSecond: keys.length / seconds,
    maxInFlight: stats.maxInFlight,
    loadsPerKey: stats.calls / keys.length,
    meanLoadMs: stats.waitedMs / stats.calls,
    cpuMicrosPerKey: (cpu.user + cpu.system) / keys.length,
  }
}

async function deleteKeys(): Promise<void> {
  const written = await redis.keys(`${prefix}*`)
  for (let i = 0; i < written.length; i += 5000) await redis.unlink(written.slice(i, i + 5000))
}

/** Key names no earlier run has used, so that every run really loads every key. */
const freshKeys = (tag: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${tag}:user:${i}`)

console.log(
  `warmup throughput: ${keyCount.toLocaleString('en-US')} keys, backend ${backendMs} ms per load, concurrency ${concurrency}, ${rounds} rounds, medians\n`,
)
for (const [i, contender] of contenders.entries()) {
  await measure(contender, freshKeys(`warm${i}`, Math.min(keyCount, 2000)))
}
const runs = contenders.map(() => [] as Array<Awaited<ReturnType<typeof measure>>>)
for (let round = 0; round < rounds; round++) {
  // Each contender runs once per round, and the first to run rotates from round to round.
  for (let turn = 0; turn < contenders.length; turn++) {
    const i = (round + turn) % contenders.length
    runs[i]!.push(await measure(contenders[i]!, freshKeys(`r${round}c${i}`, keyCount)))
  }
}

const bareRates = runs[0]!.map((run) => run.keysPerSecond)
const bare = median(bareRates)
const results = contenders.map((contender, i) => {
  const rates = runs[i]!.map((run) => run.keysPerSecond)
  const paired = rates.map((rate, round) => rate / bareRates[round]!)
  const keysPerSecond = median(rates)
  return {
    name: contender.name,
    keysPerSecond,
    ratioToIdeal: keysPerSecond / idealKeysPerSecond,
    ratioToBareLoop: keysPerSecond / bare,
    /** The lowest and highest ratio to the bare loop's run of the same round. */
    roundRatiosToBareLoop: [Math.min(...paired), Math.max(...paired)] as [number, number],
    maxInFlight: Math.max(...runs[i]!.map((run) => run.maxInFlight)),
    loadsPerKey: Math.max(...runs[i]!.map((run) => run.loadsPerKey)),
    meanLoadMs: median(runs[i]!.map((run) => run.meanLoadMs)),
    cpuMicrosPerKey: median(runs[i]!.map((run) => run.cpuMicrosPerKey)),
    keysPerSecondPerRound: rates,
  }
})

const rows = [
  [
    'contender',
    'keys/s',
    '/ ideal',
    '/ bare loop',
    'per round',
    'max in flight',
    'loads/key',
    'load ms',
    'CPU µs/key',
  ],
]
for (const r of results) {
  rows.push([
    r.name,
    Math.round(r.keysPerSecond).toLocaleString('en-US'),
    r.ratioToIdeal.toFixed(2),
    r.ratioToBareLoop.toFixed(2),
    `${r.roundRatiosToBareLoop[0].toFixed(2)}–${r.roundRatiosToBareLoop[1].toFixed(2)}`,
    String(r.maxInFlight),
    r.loadsPerKey.toFixed(2),
    r.meanLoadMs.toFixed(2),
    r.cpuMicrosPerKey.toFixed(1),
  ])
}
printRows(rows)

const checks = results.map((r) => ({
  name: r.name,
  maxInFlightOk: r.maxInFlight <= concurrency,
  loadsPerKeyOk: r.loadsPerKey === 1,
}))
const warmups = results.slice(1)
const targetMet = warmups.every((r) => r.ratioToIdeal >= target)
console.log(`
ideal: ${concurrency} loads at once / ${backendMs} ms = ${idealKeysPerSecond.toLocaleString('en-US')} keys/s;
per round: the lowest and highest ratio to the bare loop's run in the same round;
load ms: the mean time a load really waited for its setTimeout(${backendMs});
CPU µs/key: CPU time of this process per key (the Redis server's is not counted).
Checks (max in flight <= ${concurrency}, exactly one load per key): ${
  checks.every((c) => c.maxInFlightOk && c.loadsPerKeyOk)
    ? 'ok'
    : `FAILED for ${checks
        .filter((c) => !(c.maxInFlightOk && c.loadsPerKeyOk))
        .map((c) => c.name)
        .join(', ')}`
}
Target (at least ${target} x the ideal ${idealKeysPerSecond.toLocaleString('en-US')} keys/s): ${
  targetMet ? 'met' : 'NOT met'
} (${warmups.map((r) => `${r.name} ${r.ratioToIdeal.toFixed(2)}`).join(', ')})`)

const info = await runInfo(redis)
const file = await writeResults('warmup', {
  ...info,
  rounds,
  keys: keyCount,
  concurrency,
  backendMs,
  idealKeysPerSecond,
  target,
  targetMet,
  results,
  checks,
})
console.log(`Node ${info.node}, Redis ${info.redis}, ${info.cpus} CPUs; written to ${file}`)
await deleteKeys()
await redis.quit()
if (!checks.every((c) => c.maxInFlightOk && c.loadsPerKeyOk)) process.exitCode = 1
