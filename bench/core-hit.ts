// Issue 13's hit-path targets, every contender of a target measured in the same process run:
// getOrSet in copy mode (the default `values`) and in `values: 'frozen'`, over memoryStore, over
// an l1 memoryStore in front of Redis, and over redisStore, against an async Map.get +
// JSON.parse, raw ioredis, raw node-redis (which pipelines the commands of a tick by itself) and
// async-cache-dedupe. Ends with one table, target | measured | met?, from the run's medians.
// BENCH_SECONDS (default 0.5) and BENCH_ROUNDS (default 5) change the run; see docs/benchmarks.md,
// "Issue 13 targets".
import { isDeepStrictEqual } from 'node:util'
import { createCache, memoryStore } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { createClient } from 'redis'
import { connectBenchRedis, deleteKeys } from './lib/connect.js'
import { type Comparison, type Contender, compare, printTable } from './lib/measure.js'
import { dedupePeer, packageVersions } from './lib/peers.js'
import { commandsPerOperation } from './lib/redis-commands.js'
import { writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'
import { evaluateTargets, printTargets, type Target } from './lib/targets.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 0.5)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const value = { id: 42, name: 'Ada Lovelace', tags: ['admin', 'beta', 'eu'], score: 97.5 }
const json = JSON.stringify(value)
// Per process, so that two runs against one server never read each other's keys.
const prefix = `bench:core-hit:${process.pid}:`
const keys = Array.from({ length: 64 }, (_, i) => `user:${i}`)
const rawKeys = keys.map((key) => `${prefix}raw:${key}`)

const { redis, url } = await connectBenchRedis('the issue 13 hit-path benchmark')
const nodeRedis = createClient({ url }).on('error', () => {})
await nodeRedis.connect()

// Entries are written before measuring; from then on every read must be a hit, so a loader call
// is counted as a failure. async-cache-dedupe fills through its own read-through call.
let measuring = false
let loadsWhileMeasuring = 0
const load = async () => {
  if (measuring) loadsWhileMeasuring++
  return value
}

const options = { ttl: '10m', jitter: 0 } as const
const memoryCopy = createCache({ ...options, store: memoryStore() })
const memoryFrozen = createCache({ ...options, store: memoryStore(), values: 'frozen' })
// Writes go to both tiers, so every read is an l1 hit: Redis is there, but never asked.
const l1Store = () => redisStore(redis, { prefix: `${prefix}l1:` })
const l1Copy = createCache({ ...options, store: l1Store(), l1: memoryStore() })
const l1Frozen = createCache({ ...options, store: l1Store(), l1: memoryStore(), values: 'frozen' })
const redisCopy = createCache({ ...options, store: redisStore(redis, { prefix: `${prefix}cg:` }) })
const redisFrozen = createCache({
  ...options,
  store: redisStore(redis, { prefix: `${prefix}cg:` }),
  values: 'frozen',
})
const dedupe = dedupePeer({ tier: 'redis', redis, url, prefix, load, ttlMs: 600_000 })

const map = new Map(keys.map((key) => [key, json]))
/** The memory baseline: what a hand-written async read of a JSON string costs. */
const mapRead = async (key: string) => JSON.parse(map.get(key)!)

/** A contender reading one key (the first) from every caller. */
const oneKey = (name: string, get: (key: string) => Promise<unknown>): Contender => ({
  name,
  operation: () => get(keys[0]!),
})
/** A contender whose callers each read their own key. */
const ownKey = (name: string, get: (key: string) => Promise<unknown>): Contender => ({
  name,
  operation: (w) => get(keys[w]!),
})
const raw = (key: string) => rawKeys[keys.indexOf(key)]!

const MAP = 'await async Map.get + JSON.parse'
const IOREDIS = 'raw ioredis get + JSON.parse'
const NODE_REDIS = 'raw node-redis get + JSON.parse'
const DEDUPE = 'async-cache-dedupe (redis storage)'
const COPY = 'cacheguard getOrSet, copy'
const FROZEN = "cacheguard getOrSet, 'frozen'"

const mapBaseline = oneKey(MAP, mapRead)
const ioredisGet = async (key: string) => JSON.parse((await redis.get(raw(key)))!)
const scenarios: Array<{ scenario: string; concurrency: number; contenders: Contender[] }> = [
  {
    scenario: 'memory, one caller',
    concurrency: 1,
    contenders: [
      mapBaseline,
      oneKey(COPY, (key) => memoryCopy.getOrSet(key, load)),
      oneKey(FROZEN, (key) => memoryFrozen.getOrSet(key, load)),
    ],
  },
  {
    scenario: 'l1 memory over Redis, one caller',
    concurrency: 1,
    contenders: [
      mapBaseline,
      oneKey(COPY, (key) => l1Copy.getOrSet(key, load)),
      oneKey(FROZEN, (key) => l1Frozen.getOrSet(key, load)),
    ],
  },
  {
    scenario: 'Redis, 64 callers, one key',
    concurrency: 64,
    contenders: [
      oneKey(IOREDIS, ioredisGet),
      oneKey(DEDUPE, dedupe.get),
      oneKey(COPY, (key) => redisCopy.getOrSet(key, load)),
      oneKey(FROZEN, (key) => redisFrozen.getOrSet(key, load)),
    ],
  },
  {
    scenario: 'Redis, 64 callers, 64 keys',
    concurrency: 64,
    contenders: [
      ownKey(NODE_REDIS, async (key) => JSON.parse((await nodeRedis.get(raw(key)))!)),
      ownKey(IOREDIS, ioredisGet),
      ownKey(COPY, (key) => redisCopy.getOrSet(key, load)),
    ],
  },
  {
    scenario: 'Redis, one caller',
    concurrency: 1,
    contenders: [oneKey(IOREDIS, ioredisGet), oneKey(COPY, (key) => redisCopy.getOrSet(key, load))],
  },
]

const targets: Target[] = (
  [
    ['memory', 'memory, one caller'],
    ['l1 over Redis', 'l1 memory over Redis, one caller'],
  ] as const
).flatMap(([label, scenario]) => [
  { target: `${label}, 1 caller: copy >= 0.9x ${MAP}`, scenario, contender: COPY, minimum: 0.9 },
  { target: `${label}, 1 caller: frozen >= 3x ${MAP}`, scenario, contender: FROZEN, minimum: 3 },
])
targets.push(
  {
    target: 'Redis, 64 callers, one key: frozen >= 1.1x async-cache-dedupe',
    scenario: 'Redis, 64 callers, one key',
    contender: FROZEN,
    against: DEDUPE,
    minimum: 1.1,
  },
  {
    target: 'Redis, 64 callers, one key: copy >= 0.8x async-cache-dedupe',
    scenario: 'Redis, 64 callers, one key',
    contender: COPY,
    against: DEDUPE,
    minimum: 0.8,
  },
  {
    target: 'Redis, 64 callers, 64 keys: copy >= 1.0x raw node-redis',
    scenario: 'Redis, 64 callers, 64 keys',
    contender: COPY,
    minimum: 1,
  },
  {
    target: 'Redis, 1 caller: copy >= 0.97x raw ioredis',
    scenario: 'Redis, one caller',
    contender: COPY,
    minimum: 0.97,
  },
)

/** Checks that `contender` answers `key` with the value, as its mode promises. */
async function check(contender: Contender, worker: number): Promise<void> {
  const [first, second] = [await contender.operation(worker), await contender.operation(worker)]
  if (!isDeepStrictEqual(first, value)) {
    throw new Error(`${contender.name} answered ${JSON.stringify(first)}`)
  }
  // A copy is the caller's own: two reads never share an object. Frozen values are deeply frozen.
  if (contender.name === COPY && (first === second || Object.isFrozen(first))) {
    throw new Error(`${contender.name} answered a shared or frozen object`)
  }
  const tags = (first as typeof value).tags
  if (contender.name === FROZEN && !(Object.isFrozen(first) && Object.isFrozen(tags))) {
    throw new Error(`${contender.name} answered a value that is not deeply frozen`)
  }
}

const comparisons: Comparison[] = []
const commandsPerRead: Array<{ scenario: string; name: string; commands: number }> = []
let failed = false
try {
  for (const key of rawKeys) await redis.set(key, json, 'PX', 600_000)
  for (const cache of [memoryCopy, memoryFrozen, l1Copy, redisCopy]) {
    for (const key of keys) await cache.set(key, value)
  }
  // l1Frozen shares l1Copy's Redis entries but has its own l1: one write fills it.
  for (const key of keys) await l1Frozen.set(key, value)
  for (const { contenders } of scenarios) {
    for (const c of contenders) for (let w = 0; w < keys.length; w++) await c.operation(w)
    for (const c of contenders) for (let w = 0; w < keys.length; w++) await check(c, w)
  }
  measuring = true
  console.log(`issue 13 targets: ${rounds} alternating rounds of ${seconds} s per contender\n`)
  for (const { scenario, concurrency, contenders } of scenarios) {
    comparisons.push(await compare(scenario, contenders, { concurrency, rounds, seconds }))
  }
  printTable(comparisons)

  for (const { scenario, concurrency, contenders } of scenarios.slice(1)) {
    for (const c of contenders.filter((c) => c !== mapBaseline)) {
      const commands = await commandsPerOperation(redis, c.operation, concurrency)
      commandsPerRead.push({ scenario, name: c.name, commands })
    }
  }
  console.log('\nRedis commands per read (server-wide INFO commandstats, lowest of 3 runs)')
  for (const row of commandsPerRead) {
    console.log(`  ${`${row.scenario} | ${row.name}`.padEnd(72)} ${row.commands.toFixed(3)}`)
  }
  // The l1 rows are meant to be served in process, the one-caller Redis rows by one read each.
  const l1Reads = commandsPerRead.filter((r) => r.scenario.startsWith('l1') && r.commands > 0.01)
  for (const r of l1Reads) console.error(`${r.name} over l1 sent Redis commands: not an l1 hit`)
  const missed = commandsPerRead.filter(
    (r) => r.scenario === 'Redis, one caller' && r.commands < 0.99,
  )
  for (const r of missed) console.error(`${r.name} sent no Redis command for some one-caller reads`)
  console.log(`Loader calls while measuring (must be 0): ${loadsWhileMeasuring}`)
  failed = l1Reads.length > 0 || missed.length > 0 || loadsWhileMeasuring > 0

  const measured = evaluateTargets(comparisons, targets)
  console.log('\nIssue 13 targets (ratios of medians, same run)')
  printTargets(measured)

  const info = await runInfo(redis)
  const results = {
    ...info,
    packages: await packageVersions(['async-cache-dedupe', 'ioredis', 'redis']),
    rounds,
    seconds,
    comparisons,
    commandsPerRead,
    loadsWhileMeasuring,
    targets: measured,
  }
  const file = await writeResults('core-hit', results)
  console.log(`\nNode ${info.node}, Redis ${info.redis}, ${info.cpus} CPUs; written to ${file}`)
} finally {
  await deleteKeys(redis, `${prefix}*`)
  await Promise.allSettled([dedupe.close(), nodeRedis.close()])
  await redis.quit()
}
// A check that failed is a failed run; a target not met is a figure, reported in the table.
if (failed) process.exitCode = 1
