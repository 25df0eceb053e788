// Issue 15's targets for tags: a Redis hit of an entry with 3 tags (getOrSet naming them, so the
// records are read in the same round trip) against the same hit without tags, and the same with
// `clearable: true`, one caller and 64 callers of 64 keys; then the cost of deleteTags on a tag
// carried by 1,000 entries and by 100,000 entries (it writes one record per tag: it must not
// grow with the entries). Ends with target | measured | met?.
// BENCH_SECONDS (default 0.5) and BENCH_ROUNDS (default 5) change the run; see docs/benchmarks.md.
import { createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { connectBenchRedis, deleteKeys } from './lib/connect.js'
import { type Comparison, type Contender, compare, median, printTable } from './lib/measure.js'
import { commandsPerOperation } from './lib/redis-commands.js'
import { printRows, writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'
import { evaluateTargets, printTargets, type Target } from './lib/targets.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 0.5)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const value = { id: 42, name: 'Ada Lovelace', tags: ['admin', 'beta', 'eu'], score: 97.5 }
const prefix = `bench:tags:${process.pid}:`
const keys = Array.from({ length: 64 }, (_, i) => `user:${i}`)
const tagsOf = (key: string) => [key, 'team:7', 'org:1']

const { redis } = await connectBenchRedis('the tags benchmark')

let measuring = false
let loadsWhileMeasuring = 0
const load = async () => {
  if (measuring) loadsWhileMeasuring++
  return value
}
const options = { ttl: '10m', jitter: 0 } as const
const plain = createCache({ ...options, store: redisStore(redis, { prefix: `${prefix}plain:` }) })
const tagged = createCache({ ...options, store: redisStore(redis, { prefix: `${prefix}tagged:` }) })
const clearable = createCache({
  ...options,
  store: redisStore(redis, { prefix: `${prefix}clearable:` }),
  clearable: true,
})

const UNTAGGED = 'getOrSet, no tags'
const TAGGED = 'getOrSet, 3 tags named'
const CLEARABLE = 'getOrSet, no tags, clearable'
const contenders = (worker: (w: number) => string): Contender[] => [
  { name: UNTAGGED, operation: (w) => plain.getOrSet(worker(w), load) },
  { name: TAGGED, operation: (w) => tagged.getOrSet(worker(w), load, { tags: tagsOf(worker(w)) }) },
  { name: CLEARABLE, operation: (w) => clearable.getOrSet(worker(w), load) },
]
const scenarios = [
  { scenario: 'Redis, one caller', concurrency: 1, contenders: contenders(() => keys[0]!) },
  {
    scenario: 'Redis, 64 callers, 64 keys',
    concurrency: 64,
    contenders: contenders((w) => keys[w]!),
  },
]
const targets: Target[] = scenarios.map(({ scenario }) => ({
  target: `${scenario}: 3 tags >= 0.8x no tags`,
  scenario,
  contender: TAGGED,
  minimum: 0.8,
}))

/** Median ms of `runs` deleteTags calls, each of a tag of its own, after `entries` entries carry one. */
async function deleteTagsCost(entries: number, runs = 30): Promise<number> {
  const cache = createCache({
    ...options,
    store: redisStore(redis, { prefix: `${prefix}del${entries}:` }),
  })
  const tags = Array.from({ length: runs }, (_, i) => `shared:${i}`)
  for (let start = 0; start < entries; start += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, entries - start) }, (_, i) =>
        cache.set(`item:${start + i}`, value, { tags: tags }),
      ),
    )
  }
  const times: number[] = []
  for (const tag of tags) {
    const started = performance.now()
    await cache.deleteTags([tag])
    times.push(performance.now() - started)
  }
  if ((await cache.get('item:0')) !== undefined) throw new Error('deleteTags did not invalidate')
  return median(times)
}

let failed = false
try {
  for (const key of keys) {
    await plain.set(key, value)
    await tagged.set(key, value, { tags: tagsOf(key) })
    await clearable.set(key, value)
  }
  for (const { contenders } of scenarios) {
    for (const c of contenders) for (let w = 0; w < keys.length; w++) await c.operation(w)
  }
  measuring = true
  console.log(`issue 15 targets: ${rounds} alternating rounds of ${seconds} s per contender\n`)
  const comparisons: Comparison[] = []
  for (const { scenario, concurrency, contenders } of scenarios) {
    comparisons.push(await compare(scenario, contenders, { concurrency, rounds, seconds }))
  }
  printTable(comparisons)
  const commandsPerRead: Array<{ scenario: string; name: string; commands: number }> = []
  for (const { scenario, concurrency, contenders } of scenarios) {
    for (const c of contenders) {
      commandsPerRead.push({
        scenario,
        name: c.name,
        commands: await commandsPerOperation(redis, c.operation, concurrency),
      })
    }
  }
  console.log('\nRedis commands per read (server-wide INFO commandstats, lowest of 3 runs)')
  for (const row of commandsPerRead) {
    console.log(`  ${`${row.scenario} | ${row.name}`.padEnd(64)} ${row.commands.toFixed(3)}`)
  }
  measuring = false
  const small = await deleteTagsCost(1000)
  const large = await deleteTagsCost(100_000)
  console.log('\ndeleteTags of one tag (median of 30 calls, each of its own tag)')
  printRows([
    ['entries carrying the tag', 'ms per call'],
    ['1,000', small.toFixed(3)],
    ['100,000', large.toFixed(3)],
  ])
  console.log(`ratio 100,000 / 1,000: ${(large / small).toFixed(2)}`)
  console.log(`Loader calls while measuring (must be 0): ${loadsWhileMeasuring}`)
  failed = loadsWhileMeasuring > 0

  const measured = evaluateTargets(comparisons, targets)
  console.log('\nIssue 15 targets (ratios of medians, same run)')
  printTargets(measured)
  const info = await runInfo(redis)
  const file = await writeResults('tags', {
    ...info,
    rounds,
    seconds,
    comparisons,
    commandsPerRead,
    deleteTagsMs: { entries1000: small, entries100000: large },
    loadsWhileMeasuring,
    targets: measured,
  })
  console.log(`\nNode ${info.node}, Redis ${info.redis}, ${info.cpus} CPUs; written to ${file}`)
} finally {
  await deleteKeys(redis, `${prefix}*`)
  await redis.quit()
}
if (failed) process.exitCode = 1
