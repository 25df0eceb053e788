// The Bloom filters: local check and add throughput (against bloom-filters' own BloomFilter with
// its default hashing, in the same run), bits per key against the theory, and the shared filter's
// checks per second at 64 concurrent callers as a ratio to a raw GET on the same Redis.
import { memoryBloom, redisBloom, seedBloom } from '@cacheguard/bloom'
import bloomFilters from 'bloom-filters'
import { connectBenchRedis } from './lib/connect.js'
import { compare, printTable } from './lib/measure.js'
import { writeResults } from './lib/report.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 1)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const capacity = 1_000_000
const members = Array.from({ length: capacity }, (_, i) => `user:${i}`)
const probes = Array.from({ length: 100_000 }, (_, i) => (i % 2 ? `user:${i * 7}` : `absent:${i}`))

/** Runs `fn` over `items` and returns items per second. */
function rate(items: readonly string[], fn: (item: string) => unknown): number {
  const started = performance.now()
  for (const item of items) fn(item)
  return items.length / ((performance.now() - started) / 1000)
}

const ours = memoryBloom({ capacity, errorRate: 0.01 })
const theirs = bloomFilters.BloomFilter.create(capacity, 0.01)
const addOurs = rate(members, (m) => ours.add(m))
const addTheirs = rate(members.slice(0, 100_000), (m) => theirs.add(m))
const checks = { ours: [] as number[], theirs: [] as number[] }
for (let round = 0; round < rounds; round++) {
  checks.ours.push(rate(probes, (m) => ours.has(m)))
  checks.theirs.push(rate(probes, (m) => theirs.has(m)))
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!
const info = ours.info()
const theoryBitsPerKey = -Math.log(0.01) / Math.LN2 ** 2
const local = {
  checksPerSecond: median(checks.ours),
  bloomFiltersChecksPerSecond: median(checks.theirs),
  addsPerSecond: addOurs,
  bloomFiltersAddsPerSecond: addTheirs,
  bitsPerKey: info.bits / capacity,
  theoryBitsPerKey,
}
console.log('memoryBloom, 1,000,000 keys at 1%')
console.log(
  `  checks/s  ${Math.round(local.checksPerSecond).toLocaleString('en-US')} (bloom-filters default hashing: ${Math.round(local.bloomFiltersChecksPerSecond).toLocaleString('en-US')}, ratio ${(local.checksPerSecond / local.bloomFiltersChecksPerSecond).toFixed(1)}x)`,
)
console.log(
  `  adds/s    ${Math.round(addOurs).toLocaleString('en-US')} (bloom-filters: ${Math.round(addTheirs).toLocaleString('en-US')})`,
)
console.log(
  `  bits/key  ${local.bitsPerKey.toFixed(3)} (theory -ln(p)/(ln 2)^2 = ${theoryBitsPerKey.toFixed(3)})\n`,
)

const { redis } = await connectBenchRedis('the shared-filter part')
const prefix = `bench:bloom:${process.pid}:`
const shared = redisBloom(redis, { key: 'users', capacity: 100_000, errorRate: 0.01, prefix })
await seedBloom(shared, members.slice(0, 100_000), { batchSize: 5000 })
await redis.set(`${prefix}raw`, 'x')
const sharedChecks = await compare(
  'shared filter, 64 callers',
  [
    { name: 'raw ioredis GET', operation: () => redis.get(`${prefix}raw`) },
    { name: 'redisBloom has (one Lua call)', operation: (w) => shared.has(probes[w]!) },
  ],
  { concurrency: 64, rounds, seconds },
)
printTable([sharedChecks])

await writeResults('bloom', {
  date: new Date().toISOString(),
  node: process.version,
  rounds,
  seconds,
  local,
  shared: sharedChecks,
})
const keys = await redis.keys(`${prefix}*`)
if (keys.length > 0) await redis.del(keys)
await redis.quit()
