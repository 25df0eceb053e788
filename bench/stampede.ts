// The stampede across processes: 4 child processes, each with 250 concurrent `getOrSet` calls on
// one absent key (a fresh key per round), a loader that takes 200 ms. Measured: the loader calls of
// the whole fleet, and the callers' p50 / p99 / max latency from the common start as a ratio to the
// loader's time, without lockGuard (single-flight only, one load per process), with lockGuard and
// pub/sub wake-ups, and with lockGuard polling. BENCH_ROUNDS, BENCH_PROCESSES, BENCH_CALLERS and
// BENCH_LOADER_MS change it.
import type { ChildProcess } from 'node:child_process'
import type { LockGuardStats } from '@cacheguard/lock'
import { connectBenchRedis } from './lib/connect.js'
import { receive, startFleet, stopFleet } from './lib/fleet.js'
import { median, percentile } from './lib/measure.js'
import { printRows, writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'
import type { FromChild, Mode, RoundReport, ToChild } from './lib/stampede-child.js'

const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const processes = Number(process.env.BENCH_PROCESSES ?? 4)
const callers = Number(process.env.BENCH_CALLERS ?? 250)
const loaderMs = Number(process.env.BENCH_LOADER_MS ?? 200)
/** How far ahead of now a round starts: every child must have its message by then. */
const leadMs = 100
// Per process, so that two runs against one server never touch each other's keys; the lock keys
// and the wake-up channel sit under it too.
const prefix = `bench:stampede:${process.pid}:`

const modes: Array<{ mode: Mode; name: string }> = [
  { mode: 'none', name: 'no lockGuard (single-flight per process)' },
  { mode: 'pubsub', name: 'lockGuard, pub/sub wake-ups' },
  { mode: 'polling', name: 'lockGuard, polling every 100 ms' },
]

const { redis, url } = await connectBenchRedis('the stampede benchmark')
const now = () => performance.timeOrigin + performance.now()

/** One stampede: every child starts its callers on `key` at the same moment. */
async function stampede(fleet: ChildProcess[], mode: Mode, key: string) {
  const startAt = now() + leadMs
  const answers = fleet.map((child) => receive<FromChild>(child))
  for (const child of fleet)
    child.send({ run: { mode, key, callers, loaderMs, startAt } } as ToChild)
  const reports = (await Promise.all(answers)).map(
    (answer) => (answer as { done: RoundReport }).done,
  )
  const loaderCalls = Number(await redis.get(`${prefix}loads:${key}`))
  const all = reports.flatMap((r) => r.latencies).sort((a, b) => a - b)
  // Callers in processes that ran no loader: they waited for another process's load.
  const waiters = reports
    .filter((r) => r.loaderMs.length === 0)
    .flatMap((r) => r.latencies)
    .sort((a, b) => a - b)
  // With the lock, the callers of the one process that loaded: the waiters' baseline.
  const loading = reports.filter((r) => r.loaderMs.length > 0)
  const loadingProcessMs = loading.length === 1 ? median(loading[0]!.latencies) : undefined
  const guard = reports.some((r) => r.guard)
    ? (Object.fromEntries(
        Object.keys(reports[0]!.guard!).map((name) => [
          name,
          reports.reduce((sum, r) => sum + r.guard![name as keyof LockGuardStats], 0),
        ]),
      ) as unknown as LockGuardStats)
    : undefined
  return {
    loaderCalls,
    answered: all.length,
    errors: reports.flatMap((r) => r.errors),
    values: new Set(reports.flatMap((r) => r.values)).size,
    p50Ms: percentile(all, 0.5),
    p99Ms: percentile(all, 0.99),
    maxMs: all.at(-1)!,
    waiterP50Ms: waiters.length ? percentile(waiters, 0.5) : undefined,
    waiterP99Ms: waiters.length ? percentile(waiters, 0.99) : undefined,
    loadingProcessMs,
    loaderTimeMs: median(reports.flatMap((r) => r.loaderMs)),
    startSkewMs: Math.max(...reports.map((r) => r.startSkewMs)),
    guard,
  }
}
type Round = Awaited<ReturnType<typeof stampede>>

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

console.log(
  `stampede across processes: ${processes} processes x ${callers} concurrent getOrSet on one absent key, loader ${loaderMs} ms, ${rounds} rounds, medians\n`,
)
const { fleet } = await startFleet(
  new URL('./lib/stampede-child.ts', import.meta.url),
  [url, prefix],
  processes,
)
const runs = modes.map(() => [] as Round[])
try {
  // One unmeasured stampede per mode: Lua scripts loaded, connections and code paths warm.
  for (const { mode } of modes) await stampede(fleet, mode, `warm:${mode}`)
  for (let round = 0; round < rounds; round++) {
    // Each mode runs once per round, and the first to run rotates from round to round.
    for (let turn = 0; turn < modes.length; turn++) {
      const i = (round + turn) % modes.length
      await pause(100)
      runs[i]!.push(await stampede(fleet, modes[i]!.mode, `r${round}:${modes[i]!.mode}`))
    }
  }
} finally {
  await stopFleet(fleet)
}

const optionalMedian = (values: Array<number | undefined>) => {
  const present = values.filter((v) => v !== undefined)
  return present.length ? median(present) : undefined
}
const results = modes.map(({ mode, name }, i) => {
  const own = runs[i]!
  const pick = (field: 'p50Ms' | 'p99Ms' | 'maxMs') => median(own.map((r) => r[field]))
  return {
    name,
    mode,
    loaderCalls: median(own.map((r) => r.loaderCalls)),
    loaderCallsPerRound: own.map((r) => r.loaderCalls),
    p50Ms: pick('p50Ms'),
    p99Ms: pick('p99Ms'),
    maxMs: pick('maxMs'),
    p50ToLoader: pick('p50Ms') / loaderMs,
    p99ToLoader: pick('p99Ms') / loaderMs,
    /** The highest p99 of any round: a median hides one unlucky poll. */
    worstP99Ms: Math.max(...own.map((r) => r.p99Ms)),
    /** Callers in the processes that did not load, waiting on another's load. */
    waiterP50Ms: optionalMedian(own.map((r) => r.waiterP50Ms)),
    waiterP99Ms: optionalMedian(own.map((r) => r.waiterP99Ms)),
    /** With the lock: the median latency of the callers in the process that loaded. */
    loadingProcessMs: optionalMedian(own.map((r) => r.loadingProcessMs)),
    /** How long a loader call really took (INCR + setTimeout(200)). */
    loaderTimeMs: median(own.map((r) => r.loaderTimeMs)),
    /** The latest a child began its callers after the common start. */
    startSkewMs: median(own.map((r) => r.startSkewMs)),
    rounds: own,
  }
})

const cell = (ms: number | undefined) => (ms === undefined ? '-' : ms.toFixed(1))
const rows = [
  [
    'mode',
    'loader calls',
    'per round',
    'p50 ms',
    'p99 ms',
    'max ms',
    'p50 / L',
    'p99 / L',
    'worst p99',
    'waiters p99',
    'loading process',
    'loader ms',
  ],
]
for (const r of results) {
  rows.push([
    r.name,
    String(r.loaderCalls),
    `${Math.min(...r.loaderCallsPerRound)}–${Math.max(...r.loaderCallsPerRound)}`,
    cell(r.p50Ms),
    cell(r.p99Ms),
    cell(r.maxMs),
    r.p50ToLoader.toFixed(2),
    r.p99ToLoader.toFixed(2),
    cell(r.worstP99Ms),
    cell(r.waiterP99Ms),
    cell(r.loadingProcessMs),
    cell(r.loaderTimeMs),
  ])
}
printRows(rows)

// Without the lock each process loads once (its single-flight), with it the fleet loads once; every
// caller is answered, with one value per load, and no wait reaches its timeout.
const checks = results.map((r) => {
  const expected = r.mode === 'none' ? processes : 1
  return {
    name: r.name,
    loaderCallsOk: r.rounds.every((round) => round.loaderCalls === expected),
    allAnsweredOk: r.rounds.every(
      (round) => round.answered === processes * callers && round.errors.length === 0,
    ),
    oneValuePerLoadOk: r.rounds.every((round) => round.values === round.loaderCalls),
    noTimeoutsOk: r.rounds.every((round) => (round.guard?.timeouts ?? 0) === 0),
  }
})
const failed = checks.filter(
  (c) => !(c.loaderCallsOk && c.allAnsweredOk && c.oneValuePerLoadOk && c.noTimeoutsOk),
)
const skew = Math.max(...results.map((r) => r.startSkewMs))
console.log(`
L: the loader's nominal time, ${loaderMs} ms; latencies run from the common start of the round;
loader calls: the whole fleet's, counted in Redis; per round: lowest and highest;
worst p99: the highest p99 of the ${rounds} rounds (the other columns are medians over rounds);
waiters: the callers of the processes that did not load (none without lockGuard);
loading process: the median latency of the callers in the process that loaded (with the lock);
loader ms: how long a loader call really took (INCR + setTimeout(${loaderMs}));
start skew: a child began its callers at most ${skew.toFixed(1)} ms after the common start (median over rounds).
Checks (loader calls ${processes} without the lock and 1 with it, every caller answered, one value per load, no wait timeouts): ${
  failed.length === 0 ? 'ok' : `FAILED for ${failed.map((c) => c.name).join(', ')}`
}`)

const info = await runInfo(redis)
const file = await writeResults('stampede', {
  ...info,
  rounds,
  processes,
  callers,
  loaderMs,
  results,
  checks,
})
console.log(`Node ${info.node}, Redis ${info.redis}, ${info.cpus} CPUs; written to ${file}`)
// The store's keys and the lock keys share the prefix; the fence counters are `{<prefix>...}:fence`.
const leftovers = [...(await redis.keys(`${prefix}*`)), ...(await redis.keys(`{${prefix}*`))]
if (leftovers.length > 0) await redis.unlink(leftovers)
await redis.quit()
if (failed.length > 0) process.exitCode = 1
