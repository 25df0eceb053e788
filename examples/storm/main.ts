// The storm: each failure mode in turn, without and with cacheguard. Run with `npm run demo`.
// Options: --scenario all, or a comma list of breakdown, stampede, penetration, avalanche, outage;
// --requests N (breakdown, and stampede's callers over 4 processes), --unknown N (penetration),
// --keys N (avalanche), --latency MS, --store memory|redis, --out DIR (where the SVG charts go;
// '' for none). stampede and outage need Redis.
import { randomUUID } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { type CacheStore, memoryStore } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { runAvalanche } from './avalanche.js'
import { timelineChart } from './chart.js'
import { runOutage } from './outage.js'
import { runPenetration } from './penetration.js'
import { createProgress } from './progress.js'
import { connectIfAnswering, deleteKeys } from './redis-probe.js'
import { type RunResult, runBreakdown } from './scenario.js'
import { runStampede, type StampedeResult } from './stampede.js'

const { values } = parseCli({
  options: {
    scenario: { type: 'string', default: 'all' },
    requests: { type: 'string', default: '1000' },
    unknown: { type: 'string', default: '10000' },
    keys: { type: 'string', default: '10000' },
    latency: { type: 'string', default: '50' },
    store: { type: 'string' },
    // npm and pnpm set INIT_CWD to where the command was typed: the charts land there.
    out: { type: 'string', default: process.env.INIT_CWD ?? process.cwd() },
  },
})
const requests = positiveInt('requests', values.requests)
const unknown = positiveInt('unknown', values.unknown)
const keys = positiveInt('keys', values.keys)
const SCENARIOS = ['breakdown', 'stampede', 'penetration', 'avalanche', 'outage']
const scenarios = values.scenario === 'all' ? SCENARIOS : values.scenario.split(',')
if (!scenarios.every((name) => SCENARIOS.includes(name))) {
  fail(`--scenario must be all or a list of ${SCENARIOS.join(', ')}, got ${values.scenario}`)
}
const latencyMs = positiveInt('latency', values.latency)
if (values.store !== undefined && values.store !== 'memory' && values.store !== 'redis') {
  fail(`--store must be memory or redis, got ${values.store}`)
}

const outDir = values.out
if (outDir !== '') mkdirSync(outDir, { recursive: true })

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const redis = values.store === 'memory' ? undefined : await connectIfAnswering(url)
if (!redis && values.store === 'redis') fail(`Redis at ${shown(url)} does not answer`)
const prefix = `storm:${randomUUID().slice(0, 8)}:`
const store: () => CacheStore = redis
  ? () => redisStore(redis, { prefix: `${prefix}${randomUUID().slice(0, 4)}:` })
  : () => memoryStore()
// The first line always says which store the numbers come from.
if (redis) console.log(`Store: Redis at ${shown(url)} (keys under ${prefix}, removed at the end)`)
else if (values.store === 'memory') console.log('Store: memory (--store memory)')
else if (process.env.REDIS_URL) {
  console.log(
    `Store: memory (REDIS_URL=${shown(url)} does not answer: falling back to the memory store)`,
  )
} else console.log(`Store: memory (no Redis answers at ${url}; set REDIS_URL to use one)`)

const rows: Array<[string, RunResult]> = []
const conclusions: string[] = []
const charts: string[] = []
const progress = createProgress()
/** Prints each run of `scenario` as it starts, and how long the one before took. */
const onRun = (scenario: string) => (label: string) => progress.step(`${scenario}, ${label}`)
/** Adds a scenario's runs to the table, draws its chart and remembers its conclusion. */
const record = (
  scenario: string,
  results: RunResult[],
  conclusion: string,
  band?: { from: number; to: number; label: string },
) => {
  progress.done()
  rows.push(...results.map((result): [string, RunResult] => [scenario, result]))
  conclusions.push(conclusion)
  if (outDir === '') return
  const file = join(outDir, `storm-${scenario}.svg`)
  const title = `${scenario}: database queries per 100 ms, without and with cacheguard`
  writeFileSync(file, timelineChart({ title, series: results, ...(band ? { band } : {}) }))
  charts.push(file)
}
const needsRedis = (scenario: string, why: string) => {
  const reason = values.store === 'memory' ? '--store memory' : `no Redis answers at ${shown(url)}`
  console.log(`${scenario}: skipped: ${why} (${reason})`)
}
try {
  if (scenarios.includes('breakdown')) {
    console.log(
      `breakdown: a hot key has just expired; ${requests} concurrent requests, database latency ${latencyMs} ms`,
    )
    const results = await runBreakdown({ store, requests, latencyMs, onRun: onRun('breakdown') })
    const [without, guarded] = results
    record(
      'breakdown',
      results,
      `breakdown: ${without.dbQueries} database queries became ${guarded.dbQueries}; single-flight let every concurrent request share one load.`,
    )
  }
  if (scenarios.includes('stampede')) {
    if (!redis) needsRedis('stampede', 'its processes must share a Redis')
    else {
      const [processes, callers] = [4, Math.max(1, Math.round(requests / 4))]
      console.log(
        `stampede: ${processes} processes x ${callers} concurrent requests for one hot key that has just expired, database latency ${latencyMs} ms`,
      )
      try {
        const fleet = { processes, callers, latencyMs, onRun: onRun('stampede') }
        const results = await runStampede({ redis, url, prefix, ...fleet })
        const [plain, singleFlight, guarded] = results as [RunResult, RunResult, StampedeResult]
        const lock = guarded.lock
        const waits = (r: RunResult) => `p50 ${r.p50Ms.toFixed(1)} / p99 ${r.p99Ms.toFixed(1)} ms`
        record(
          'stampede',
          results,
          `stampede: ${plain.dbQueries} database queries became ${singleFlight.dbQueries} with single-flight (one per process) and ${guarded.dbQueries} with lockGuard, which let one process load for the fleet (locks taken: ${lock?.acquired}, processes served by another's load: ${lock?.servedByOthers}). Callers waited ${waits(guarded)} for a ${latencyMs} ms query (${waits(singleFlight)} without the lock).`,
        )
      } catch (error) {
        // The rest of the demo still runs; the exit code says this part failed.
        progress.done()
        console.error(`stampede: failed: ${error instanceof Error ? error.message : String(error)}`)
        process.exitCode = 1
      }
    }
  }
  if (scenarios.includes('penetration')) {
    console.log(
      `penetration: ${unknown} requests for random ids that exist nowhere (100,000 ids exist)`,
    )
    const filterOn = redis ? { redis, prefix } : {}
    const results = await runPenetration({
      store,
      requests: unknown,
      latencyMs,
      onRun: onRun('penetration'),
      ...filterOn,
    })
    const [without, guarded] = results
    record(
      'penetration',
      results,
      `penetration: ${without.dbQueries} database queries became ${guarded.dbQueries}; the Bloom filter (1% false positives) answered the rest.`,
    )
  }
  const timelines: Array<[string, RunResult[]]> = []
  if (scenarios.includes('avalanche')) {
    console.log(
      `avalanche: ${keys} keys written together with a 3 s TTL, 5,000 requests/s for random keys for 5 s`,
    )
    const results = await runAvalanche({ store, keys, latencyMs, onRun: onRun('avalanche') })
    const [without, guarded] = results
    timelines.push(['avalanche', results])
    const peak = (r: RunResult) => Math.max(...r.timeline)
    record(
      'avalanche',
      results,
      `avalanche: the database's busiest 100 ms went from ${peak(without)} queries to ${peak(guarded)}; jittered TTLs from the warmup spread the expiry, grace served stale values meanwhile, and loadConcurrency held reloads to 32 at once.`,
    )
  }
  if (scenarios.includes('outage')) {
    if (!redis) needsRedis('outage', 'it cuts the connection to a real Redis')
    else {
      const [from, to] = [1000, 3000]
      console.log(
        `outage: 2,000 cached keys, 2,000 requests/s for 4 s; the connection to Redis is cut from ${from / 1000} s to ${to / 1000} s`,
      )
      const results = await runOutage({
        url,
        prefix,
        latencyMs,
        outage: [from, to],
        onRun: onRun('outage'),
      })
      const [without, guarded] = results
      timelines.push(['outage', results])
      record(
        'outage',
        results,
        `outage: while Redis was unreachable the database received ${without.duringOutage} queries without cacheguard (every request fell back to it) and ${guarded.duringOutage} with it: the memory tier kept answering and the circuit breaker stopped paying for the dead connection.`,
        { from, to, label: 'Redis unreachable' },
      )
    }
  }
  if (rows.length > 0) {
    console.log('')
    printTable(rows)
    for (const [scenario, results] of timelines) printTimelines(scenario, results)
    console.log(`\n${conclusions.join('\n')}`)
    const typedIn = process.env.INIT_CWD ?? process.cwd()
    const shownPaths = charts.map((file) => {
      const near = relative(typedIn, file)
      return near.startsWith('..') || isAbsolute(near) ? resolve(file) : near
    })
    if (charts.length > 0)
      console.log(`\nCharts (SVG, open in a browser): ${shownPaths.join(', ')}`)
  }
} finally {
  progress.done()
  if (redis) {
    await deleteKeys(redis, `${prefix}*`)
    await redis.quit()
  }
}

function printTable(results: Array<[string, RunResult]>): void {
  const header = ['scenario', 'run', 'db queries', 'peak concurrent', 'p50 ms', 'p99 ms', 'errors']
  const body = results.map(([scenario, r]) => [
    scenario,
    r.label,
    r.dbQueries,
    r.peakConcurrent,
    r.p50Ms.toFixed(1),
    r.p99Ms.toFixed(1),
    r.errors,
  ])
  const table = [header, ...body].map((row) => row.map(String))
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)))
  const line = (row: string[]) =>
    row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')
  console.log(line(table[0]!))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of table.slice(1)) console.log(line(row))
}

/** Database queries per 100 ms as one bar per bucket, on one scale for both runs. */
function printTimelines(scenario: string, results: RunResult[]): void {
  const bars = ' ▁▂▃▄▅▆▇█'
  const top = Math.max(1, ...results.flatMap((r) => r.timeline))
  const seconds = Math.max(...results.map((r) => r.timeline.length)) / 10
  console.log(`\n${scenario}: database queries per 100 ms over ${seconds} s (full bar = ${top})`)
  for (const r of results) {
    const line = r.timeline
      .map((n) => bars[n === 0 ? 0 : Math.max(1, Math.round((n / top) * 8))])
      .join('')
    console.log(`  ${r.label.padEnd(18)} |${line}| peak ${Math.max(...r.timeline)}`)
  }
}

/** `parseArgs`, with a one-line message instead of a stack trace for an unknown flag. */
function parseCli<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config)
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error))
  }
}

/** The URL without its password, fit to print. */
function shown(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return url
  }
}

function positiveInt(name: string, raw: string): number {
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1)
    fail(`--${name} must be a positive integer, got ${raw}`)
  return value
}

function fail(message: string): never {
  console.error(message)
  process.exit(2)
}
