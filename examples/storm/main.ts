// The storm: each failure mode in turn, without and with cacheguard. Run with `npm run demo`.
// Options: --scenario all, or a comma list of breakdown, stampede, penetration, avalanche; --requests N (breakdown),
// --unknown N (penetration), --keys N (avalanche), --latency MS, --store memory|redis. stampede needs Redis.
import { randomUUID } from 'node:crypto'
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { type CacheStore, memoryStore } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { type AvalancheResult, runAvalanche } from './avalanche.js'
import { runPenetration } from './penetration.js'
import { connectIfAnswering, deleteKeys } from './redis-probe.js'
import { type RunResult, runBreakdown } from './scenario.js'
import { runStampede } from './stampede.js'

const { values } = parseCli({
  options: {
    scenario: { type: 'string', default: 'all' },
    requests: { type: 'string', default: '1000' },
    unknown: { type: 'string', default: '10000' },
    keys: { type: 'string', default: '10000' },
    latency: { type: 'string', default: '50' },
    store: { type: 'string' },
  },
})
const requests = positiveInt('requests', values.requests)
const unknown = positiveInt('unknown', values.unknown)
const keys = positiveInt('keys', values.keys)
const SCENARIOS = ['breakdown', 'stampede', 'penetration', 'avalanche']
const scenarios = values.scenario === 'all' ? SCENARIOS : values.scenario.split(',')
if (!scenarios.every((name) => SCENARIOS.includes(name))) {
  fail(`--scenario must be all or a list of ${SCENARIOS.join(', ')}, got ${values.scenario}`)
}
const latencyMs = positiveInt('latency', values.latency)
if (values.store !== undefined && values.store !== 'memory' && values.store !== 'redis') {
  fail(`--store must be memory or redis, got ${values.store}`)
}

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
try {
  if (scenarios.includes('breakdown')) {
    console.log(
      `breakdown: a hot key has just expired; ${requests} concurrent requests, database latency ${latencyMs} ms...`,
    )
    const [without, guarded] = await runBreakdown({ store, requests, latencyMs })
    rows.push(['breakdown', without], ['breakdown', guarded])
    conclusions.push(
      `breakdown: ${without.dbQueries} database queries became ${guarded.dbQueries}; single-flight let every concurrent request share one load.`,
    )
  }
  if (scenarios.includes('stampede')) {
    if (!redis) {
      const why = values.store === 'memory' ? '--store memory' : `no Redis answers at ${shown(url)}`
      console.log(`stampede: skipped: its processes must share a Redis (${why})`)
    } else {
      const [processes, callers] = [4, 250]
      console.log(
        `stampede: ${processes} processes x ${callers} concurrent requests for one hot key that has just expired, database latency ${latencyMs} ms...`,
      )
      try {
        const fleet = { processes, callers, latencyMs }
        const [without, guarded] = await runStampede({ redis, url, prefix, ...fleet })
        rows.push(['stampede', without], ['stampede', guarded])
        const lock = guarded.lock
        const waits = (r: RunResult) => `p50 ${r.p50Ms.toFixed(1)} / p99 ${r.p99Ms.toFixed(1)} ms`
        conclusions.push(
          `stampede: ${without.dbQueries} database queries became ${guarded.dbQueries}; single-flight shares a load only inside a process, lockGuard let one process load for the fleet (locks taken: ${lock?.acquired}, processes served by another's load: ${lock?.servedByOthers}). Callers waited ${waits(guarded)} for a ${latencyMs} ms query (${waits(without)} without the lock).`,
        )
      } catch (error) {
        // The rest of the demo still runs; the exit code says this part failed.
        console.error(`stampede: failed: ${error instanceof Error ? error.message : String(error)}`)
        process.exitCode = 1
      }
    }
  }
  if (scenarios.includes('penetration')) {
    console.log(
      `penetration: ${unknown} requests for random ids that exist nowhere (100,000 ids exist)...`,
    )
    const filterOn = redis ? { redis, prefix } : {}
    const [without, guarded] = await runPenetration({
      store,
      requests: unknown,
      latencyMs,
      ...filterOn,
    })
    rows.push(['penetration', without], ['penetration', guarded])
    conclusions.push(
      `penetration: ${without.dbQueries} database queries became ${guarded.dbQueries}; the Bloom filter (1% false positives) answered the rest.`,
    )
  }
  const timelines: AvalancheResult[] = []
  if (scenarios.includes('avalanche')) {
    console.log(
      `avalanche: ${keys} keys written together with a 3 s TTL, 5,000 requests/s for random keys for 5 s...`,
    )
    const [without, guarded] = await runAvalanche({ store, keys, latencyMs })
    rows.push(['avalanche', without], ['avalanche', guarded])
    timelines.push(without, guarded)
    const peak = (r: AvalancheResult) => Math.max(...r.perBucket)
    conclusions.push(
      `avalanche: the database's busiest 100 ms went from ${peak(without)} queries to ${peak(guarded)}; jittered TTLs from the warmup spread the expiry, grace served stale values meanwhile, and loadConcurrency held reloads to 32 at once.`,
    )
  }
  if (rows.length > 0) {
    console.log('')
    printTable(rows)
    if (timelines.length > 0) printTimelines(timelines)
    console.log(`\n${conclusions.join('\n')}`)
  }
} finally {
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
function printTimelines(results: AvalancheResult[]): void {
  const bars = ' ▁▂▃▄▅▆▇█'
  const top = Math.max(1, ...results.flatMap((r) => r.perBucket))
  console.log(`\navalanche: database queries per 100 ms over 5 s (full bar = ${top})`)
  for (const r of results) {
    const line = r.perBucket
      .map((n) => bars[n === 0 ? 0 : Math.max(1, Math.round((n / top) * 8))])
      .join('')
    console.log(`  ${r.label.padEnd(18)} |${line}| peak ${Math.max(...r.perBucket)}`)
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
