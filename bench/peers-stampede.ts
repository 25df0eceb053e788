// The stampede against the peers: (a) 1,000 concurrent reads of one absent key in one process,
// and (b) 4 child processes x 250 concurrent reads of one absent key, started at the same moment;
// the loader takes 200 ms. Measured per library, each set up as its docs recommend: the loader
// calls (in (b) of the whole fleet, counted in Redis), and the callers' p50 / p99 latency as a
// ratio to the loader's time. A fresh key per round; one unmeasured round per library first.
// BENCH_ROUNDS, BENCH_PROCESSES, BENCH_CALLERS (per process) and BENCH_LOADER_MS change it.
import type { ChildProcess } from 'node:child_process'
import { createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { connectBenchRedis, deleteKeys } from './lib/connect.js'
import { receive, startFleet, stopFleet } from './lib/fleet.js'
import { median, percentile } from './lib/measure.js'
import { allPeers, closePeers, type PeerCache, peerVersions, plainCacheAside } from './lib/peers.js'
import type { FromPeerChild, PeerRoundReport, ToPeerChild } from './lib/peers-stampede-child.js'
import { printRows, writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'

const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const processes = Number(process.env.BENCH_PROCESSES ?? 4)
const callersPerProcess = Number(process.env.BENCH_CALLERS ?? 250)
/** (a) puts the whole fleet's callers in one process: 1,000 by default. */
const localCallers = processes * callersPerProcess
const loaderMs = Number(process.env.BENCH_LOADER_MS ?? 200)
/** How far ahead of now a fleet round starts: every child must have its message by then. */
const leadMs = 100
// Per process, so that two runs against one server never touch each other's keys; the lock keys,
// fence counters and the wake-up channel of the children sit under it too.
const prefix = `bench:peers-stampede:${process.pid}:`
const value = { id: 42, name: 'Ada Lovelace', tags: ['admin', 'beta', 'eu'], score: 97.5 }
const now = () => performance.timeOrigin + performance.now()
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const { redis, url } = await connectBenchRedis('the peers stampede benchmark')

/** One round of one contender, whichever part. */
interface Round {
  loaderCalls: number
  answered: number
  errors: string[]
  p50Ms: number
  p99Ms: number
  maxMs: number
}

/** The round's figures from every caller's latency (ms from the common start). */
function summarize(latencies: number[], loaderCalls: number, errors: string[]): Round {
  const sorted = [...latencies].sort((a, b) => a - b)
  return {
    loaderCalls,
    answered: sorted.length,
    errors,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.at(-1) ?? Number.NaN,
  }
}

/**
 * Runs `once(contender, key)` for every contender: one unmeasured round, then `rounds` rounds in
 * which the first contender rotates; a fresh key each time.
 */
async function runRounds(
  count: number,
  once: (contender: number, key: string) => Promise<Round>,
): Promise<Round[][]> {
  for (let i = 0; i < count; i++) await once(i, `${i}:warm`)
  const runs = Array.from({ length: count }, () => [] as Round[])
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < count; turn++) {
      const i = (round + turn) % count
      await pause(50)
      runs[i]!.push(await once(i, `${i}:r${round}`))
    }
  }
  return runs
}

/** Medians over rounds, and the spread of loader calls. */
function report(names: string[], runs: Round[][]) {
  return names.map((name, i) => {
    const own = runs[i]!
    const pick = (field: 'p50Ms' | 'p99Ms' | 'maxMs') => median(own.map((r) => r[field]))
    const calls = own.map((r) => r.loaderCalls)
    return {
      name,
      loaderCalls: median(calls),
      loaderCallsPerRound: calls,
      p50Ms: pick('p50Ms'),
      p99Ms: pick('p99Ms'),
      maxMs: pick('maxMs'),
      p50ToLoader: pick('p50Ms') / loaderMs,
      p99ToLoader: pick('p99Ms') / loaderMs,
      answered: Math.min(...own.map((r) => r.answered)),
      errors: own.flatMap((r) => r.errors).length,
      firstError: own.flatMap((r) => r.errors)[0],
      rounds: own.map(({ errors, ...rest }) => ({ ...rest, errors: errors.length })),
    }
  })
}
type Row = ReturnType<typeof report>[number]

function printSection(title: string, rows: Row[]): void {
  console.log(`\n${title}`)
  const table = [['library', 'loader calls', 'per round', 'p50 / L', 'p99 / L', 'p99 ms', 'errors']]
  for (const r of rows) {
    table.push([
      r.name,
      String(r.loaderCalls),
      `${Math.min(...r.loaderCallsPerRound)}–${Math.max(...r.loaderCallsPerRound)}`,
      r.p50ToLoader.toFixed(2),
      r.p99ToLoader.toFixed(2),
      r.p99Ms.toFixed(1),
      String(r.errors),
    ])
  }
  printRows(table)
}

// (a) One process. cacheguard needs no guard here: single-flight is always on.
let localLoads = 0
const localLoad = async () => {
  localLoads++
  await pause(loaderMs)
  return value
}
const localCache = createCache({
  store: redisStore(redis, { prefix: `${prefix}a:cg:` }),
  ttl: '1m',
})
const localOptions = { redis, url, prefix: `${prefix}a:`, load: localLoad, ttlMs: 60_000 }
const local: PeerCache[] = [
  {
    name: 'cacheguard (single-flight)',
    get: (key) => localCache.getOrSet(key, localLoad),
    close: async () => {},
  },
  ...allPeers({ tier: 'redis', ...localOptions }),
  plainCacheAside({ ...localOptions, prefix: `${prefix}a:plain:` }),
]

async function localStampede(contender: number, key: string): Promise<Round> {
  const peer = local[contender]!
  localLoads = 0
  const started = performance.now()
  const settled = await Promise.allSettled(
    Array.from({ length: localCallers }, async () => {
      await peer.get(key)
      return performance.now() - started
    }),
  )
  return summarize(
    settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])),
    localLoads,
    settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : [])),
  )
}

// (b) The fleet: every child holds every contender (cacheguard with lockGuard) on its own connection.
async function fleetStampede(fleet: ChildProcess[], contender: number, key: string) {
  const startAt = now() + leadMs
  const answers = fleet.map((child) => receive<FromPeerChild>(child))
  const run = { contender, key, callers: callersPerProcess, loaderMs, startAt }
  for (const child of fleet) child.send({ run } satisfies ToPeerChild)
  const reports = (await Promise.all(answers)).map(
    (answer) => (answer as { done: PeerRoundReport }).done,
  )
  return summarize(
    reports.flatMap((r) => r.latencies),
    Number(await redis.get(`${prefix}loads:${key}`)),
    reports.flatMap((r) => r.errors),
  )
}

let failed = false
try {
  console.log(
    `peers, stampede: loader ${loaderMs} ms, ${rounds} rounds per library (fresh key each), medians`,
  )
  const localRows = report(
    local.map((c) => c.name),
    await runRounds(local.length, localStampede),
  )
  printSection(`(a) one process, ${localCallers} concurrent reads of one absent key`, localRows)

  const started = await startFleet<{ ready: number; contenders: string[] }>(
    new URL('./lib/peers-stampede-child.ts', import.meta.url),
    [url, prefix],
    processes,
  )
  let fleetRows: Row[]
  try {
    const names = started.ready[0]!.contenders
    const runs = await runRounds(names.length, (i, key) => fleetStampede(started.fleet, i, key))
    fleetRows = report(names, runs)
  } finally {
    await stopFleet(started.fleet)
  }
  printSection(
    `(b) ${processes} processes x ${callersPerProcess} concurrent reads of one absent key`,
    fleetRows,
  )
  console.log('\nL = the nominal loader time; latencies run from the common start to each answer.')

  // cacheguard's claims: one load per stampede in one process, and one for the whole fleet.
  const checks = [
    { rows: localRows, part: '(a)', expected: 1 },
    { rows: fleetRows, part: '(b)', expected: 1 },
  ]
  for (const { rows, part, expected } of checks) {
    const ours = rows[0]!
    if (ours.loaderCallsPerRound.some((calls) => calls !== expected)) {
      console.error(`${part} cacheguard: loader calls per round ${ours.loaderCallsPerRound}`)
      failed = true
    }
  }
  for (const row of [...localRows, ...fleetRows]) {
    if (row.errors > 0 || row.answered !== localCallers) {
      console.error(
        `${row.name}: ${row.errors} errors (${row.firstError}), ${row.answered} answered`,
      )
      failed = true
    }
  }

  const info = await runInfo(redis)
  const results = {
    ...info,
    peers: await peerVersions(),
    rounds,
    processes,
    callersPerProcess,
    loaderMs,
    inProcess: localRows,
    fleet: fleetRows,
  }
  const file = await writeResults('peers-stampede', results)
  console.log(`Node ${info.node}, Redis ${info.redis}, ${info.cpus} CPUs; written to ${file}`)
} finally {
  await closePeers(local)
  // The stores' keys, the load counters and lock keys share the prefix; fences are `{<prefix>...}`.
  await deleteKeys(redis, `${prefix}*`, `{${prefix}*`)
  await redis.quit()
}
if (failed) process.exitCode = 1
