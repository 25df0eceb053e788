// Issue 16's batch hit path: 100 cached keys read at once. Over Redis, getOrSetMany (every key a
// hit, so its loadMany must never run) against raw ioredis MGET of the same values as plain JSON
// + JSON.parse of each, with getMany and 100 getOrSet calls in one Promise.all for context, from
// one caller, from 16 callers each on its own 100 keys, and (for context: concurrent reads of the
// same keys may be coalesced, which raw MGET never does) from 16 callers on the same 100 keys; over
// memoryStore, the same cacheguard calls against a loop of async Map.get + JSON.parse, for scale
// only (no target). Then the Redis commands each call sends, by name, and the loads while
// measuring (must be 0). Ends with target | measured | met?.
// BENCH_SECONDS (default 0.5) and BENCH_ROUNDS (default 5) change the run; see docs/benchmarks.md.
import { isDeepStrictEqual } from 'node:util'
import { type BatchResult, type Cache, createCache, memoryStore } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { countCommands, formatCommands, sentPerOperation } from './lib/command-counts.js'
import { connectBenchRedis, deleteKeys } from './lib/connect.js'
import { type Comparison, type Contender, compare, printTable } from './lib/measure.js'
import { writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'
import { evaluateTargets, printTargets, type Target } from './lib/targets.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 0.5)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const KEYS = 100
const CALLERS = 16
// Per process, so that two runs against one server never read each other's keys.
const prefix = `bench:many:${process.pid}:`
/** The 100 keys of caller `w`'s calls in the own-keys scenario (caller 0's elsewhere). */
const blocks = Array.from({ length: CALLERS }, (_, w) =>
  Array.from({ length: KEYS }, (_, i) => `user:${w * KEYS + i}`),
)
const allKeys = blocks.flat()
const rawKeyOf = (key: string) => `${prefix}raw:${key}`
interface Value {
  id: number
  name: string
  tags: string[]
  score: number
}
const valueByKey = new Map<string, Value>(
  allKeys.map((key, id) => [
    key,
    { id, name: 'Ada Lovelace', tags: ['admin', 'beta'], score: 97.5 },
  ]),
)
const expected = blocks.map((block) => block.map((key) => valueByKey.get(key)!))
const json = new Map(allKeys.map((key) => [key, JSON.stringify(valueByKey.get(key))]))

const { redis } = await connectBenchRedis('the getOrSetMany benchmark')
const counter = countCommands(redis)

// Entries are written before measuring; from then on every key must be a hit, so a loadMany call
// (or a per-key loader call) is counted as a failure.
let measuring = false
let loadsWhileMeasuring = 0
let keysLoadedWhileMeasuring = 0
const loadMany = async (asked: string[]): Promise<BatchResult<Value>> => {
  if (measuring) {
    loadsWhileMeasuring++
    keysLoadedWhileMeasuring += asked.length
  }
  return new Map(asked.map((key) => [key, valueByKey.get(key)!]))
}
const loadOne = (key: string) => async () => {
  if (measuring) {
    loadsWhileMeasuring++
    keysLoadedWhileMeasuring++
  }
  return valueByKey.get(key)!
}

const options = { ttl: '10m', jitter: 0 } as const
const redisCache = createCache({ ...options, store: redisStore(redis, { prefix: `${prefix}cg:` }) })
const memoryCache = createCache({ ...options, store: memoryStore() })

const RAW = 'raw ioredis mget + JSON.parse each'
const MAP = 'loop of await async Map.get + JSON.parse'
const MANY = 'cacheguard getOrSetMany'
const GET_MANY = 'cacheguard getMany'
const EACH = 'cacheguard 100x getOrSet, Promise.all'

/** The contenders, caller `w` reading `blockOf(w)`. */
function contenders(cache: Cache, blockOf: (w: number) => number, raw: boolean): Contender[] {
  const rawKeys = blocks.map((block) => block.map(rawKeyOf))
  const cacheguard: Contender[] = [
    { name: MANY, operation: (w) => cache.getOrSetMany(blocks[blockOf(w)]!, loadMany) },
    { name: GET_MANY, operation: (w) => cache.getMany(blocks[blockOf(w)]!) },
    {
      name: EACH,
      operation: (w) =>
        Promise.all(blocks[blockOf(w)]!.map((key) => cache.getOrSet(key, loadOne(key)))),
    },
  ]
  if (!raw) return cacheguard
  const mget: Contender = {
    name: RAW,
    operation: async (w) =>
      (await redis.mget(rawKeys[blockOf(w)]!)).map((text) => JSON.parse(text!)),
  }
  return [mget, ...cacheguard]
}
/** The memory baseline: a hand-written async read of each key's JSON string, one after another. */
const mapRead = async (key: string) => JSON.parse(json.get(key)!)
const mapLoop: Contender = {
  name: MAP,
  operation: async () => {
    const found = []
    for (const key of blocks[0]!) found.push(await mapRead(key))
    return found
  },
}

const ONE = 'Redis, one caller'
const OWN = `Redis, ${CALLERS} callers, own ${KEYS} keys each`
const SAME = `Redis, ${CALLERS} callers, same ${KEYS} keys`
const scenarios: Array<{
  scenario: string
  concurrency: number
  contenders: Contender[]
  blockOf: (w: number) => number
}> = [
  {
    scenario: ONE,
    concurrency: 1,
    contenders: contenders(redisCache, () => 0, true),
    blockOf: () => 0,
  },
  {
    scenario: OWN,
    concurrency: CALLERS,
    contenders: contenders(redisCache, (w) => w, true),
    blockOf: (w) => w,
  },
  // Context: concurrent reads of the same keys may be coalesced, which raw MGET never does.
  {
    scenario: SAME,
    concurrency: CALLERS,
    contenders: contenders(redisCache, () => 0, true),
    blockOf: () => 0,
  },
  {
    scenario: 'memory, one caller',
    concurrency: 1,
    contenders: [mapLoop, ...contenders(memoryCache, () => 0, false)],
    blockOf: () => 0,
  },
]
const targets: Target[] = [ONE, OWN].map((scenario) => ({
  target: `${scenario}: getOrSetMany >= 0.9x raw mget + JSON.parse`,
  scenario,
  contender: MANY,
  minimum: 0.9,
}))

const comparisons: Comparison[] = []
const commandsPerCall: Array<{ scenario: string; name: string; commands: Record<string, number> }> =
  []
let failed = false
try {
  for (const key of allKeys) await redis.set(rawKeyOf(key), json.get(key)!, 'PX', 600_000)
  for (const cache of [redisCache, memoryCache]) {
    await cache.setMany(allKeys.map((key) => [key, valueByKey.get(key)]))
  }
  // Every contender answers each caller's 100 values in the order of its keys, before anything
  // is measured.
  for (const { contenders, concurrency, blockOf } of scenarios) {
    for (const c of contenders) {
      for (let w = 0; w < concurrency; w++) {
        const answer = await c.operation(w)
        if (!isDeepStrictEqual(answer, expected[blockOf(w)])) {
          throw new Error(`${c.name} answered ${JSON.stringify(answer).slice(0, 200)}`)
        }
      }
    }
  }
  measuring = true
  console.log(
    `issue 16 batch hits, ${KEYS} keys per call: ${rounds} alternating rounds of ${seconds} s per contender\n`,
  )
  for (const { scenario, concurrency, contenders } of scenarios) {
    comparisons.push(await compare(scenario, contenders, { concurrency, rounds, seconds }))
  }
  printTable(comparisons)

  for (const { scenario, concurrency, contenders } of scenarios.slice(0, 3)) {
    for (const c of contenders) {
      const commands = await sentPerOperation(counter, c.operation, concurrency)
      commandsPerCall.push({ scenario, name: c.name, commands })
    }
  }
  console.log('\nRedis commands per call (sent by this client, over 0.2 s)')
  const labels = commandsPerCall.map((row) => `${row.scenario} | ${row.name}`)
  const width = Math.max(...labels.map((label) => label.length))
  for (const [i, row] of commandsPerCall.entries()) {
    console.log(`  ${labels[i]!.padEnd(width)}  ${formatCommands(row.commands)}`)
  }
  measuring = false
  console.log(
    `loadMany / loader calls while measuring (must be 0): ${loadsWhileMeasuring}, keys loaded: ${keysLoadedWhileMeasuring}`,
  )
  failed = loadsWhileMeasuring > 0

  const measured = evaluateTargets(comparisons, targets)
  console.log('\nIssue 16 targets (ratios of medians, same run)')
  printTargets(measured)
  const info = await runInfo(redis)
  const file = await writeResults('many', {
    ...info,
    keysPerCall: KEYS,
    callers: CALLERS,
    rounds,
    seconds,
    comparisons,
    commandsPerCall,
    loadsWhileMeasuring,
    keysLoadedWhileMeasuring,
    targets: measured,
  })
  console.log(`\nNode ${info.node}, Redis ${info.redis}, ${info.cpus} CPUs; written to ${file}`)
} finally {
  await deleteKeys(redis, `${prefix}*`, `{${prefix}*`)
  await Promise.allSettled([redisCache.close(), memoryCache.close()])
  await redis.quit()
}
// A check that failed is a failed run; a target not met is a figure, reported in the table.
if (failed) process.exitCode = 1
