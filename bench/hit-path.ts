// The getOrSet hit path against raw ioredis `get` + `JSON.parse` on the same Redis, in the same
// process run, and the memory store's hit path against lru-cache itself. Ratios are the headline;
// see docs/benchmarks.md for the method. BENCH_SECONDS and BENCH_ROUNDS shorten or lengthen it.
import { createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { LRUCache } from 'lru-cache'
import { connectBenchRedis } from './lib/connect.js'
import {
  type Comparison,
  type Contender,
  compare,
  opsPerSecond,
  printTable,
} from './lib/measure.js'
import { writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 1)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const value = { id: 42, name: 'Ada Lovelace', tags: ['admin', 'beta', 'eu'], score: 97.5 }
const json = JSON.stringify(value)
// Per process, so that two runs against one server never read each other's keys.
const prefix = `bench:${process.pid}:`
const keys = Array.from({ length: 64 }, (_, i) => `user:${i}`)

const { redis } = await connectBenchRedis('the hit-path benchmark')

/** A cache over the shared client; every cache here reads the same pre-filled entries. */
const redisCache = (options: { values?: 'frozen'; batchReads?: boolean } = {}) =>
  createCache({
    store: redisStore(redis, { prefix: `${prefix}cg:` }),
    ttl: '10m',
    jitter: 0,
    ...options,
  })
const cache = redisCache()
const unbatched = redisCache({ batchReads: false })
const frozen = redisCache({ values: 'frozen' })
for (const key of keys) {
  await redis.set(`${prefix}raw:${key}`, json, 'PX', 600_000)
  await cache.set(key, value)
}
// Every read is a hit: a loader call would mean the benchmark measures something else.
const load = () => {
  throw new Error('the hit-path benchmark read a miss')
}
const rawKeys = keys.map((key) => `${prefix}raw:${key}`)

const raw: Contender = {
  name: 'raw ioredis get + JSON.parse',
  operation: async (w) => JSON.parse((await redis.get(rawKeys[w]!))!),
}
const rawHot: Contender = {
  name: 'raw ioredis get + JSON.parse',
  operation: async () => JSON.parse((await redis.get(rawKeys[0]!))!),
}
const guarded: Contender = {
  name: 'cacheguard getOrSet (redisStore)',
  operation: (w) => cache.getOrSet(keys[w]!, load),
}
const guardedUnbatched: Contender = {
  name: 'the same, batchReads: false',
  operation: (w) => unbatched.getOrSet(keys[w]!, load),
}
const guardedHot: Contender = {
  name: 'cacheguard getOrSet (redisStore)',
  operation: () => cache.getOrSet(keys[0]!, load),
}
const frozenHot: Contender = {
  name: "the same, values: 'frozen'",
  operation: () => frozen.getOrSet(keys[0]!, load),
}

const memory = createCache({ ttl: '10m', jitter: 0 })
const lru = new LRUCache<string, string>({ max: 10_000 })
for (const key of keys) {
  await memory.set(key, value)
  lru.set(key, json)
}
const lruParse: Contender = {
  name: 'lru-cache get + JSON.parse',
  operation: async (w) => JSON.parse(lru.get(keys[w]!)!),
}
const memoryGuarded: Contender = {
  name: 'cacheguard getOrSet (memoryStore)',
  operation: (w) => memory.getOrSet(keys[w]!, load),
}

const options = (concurrency: number) => ({ concurrency, rounds, seconds })
const comparisons: Comparison[] = []
console.log(`hit path: ${rounds} alternating rounds of ${seconds} s per contender, medians\n`)
comparisons.push(await compare('redis, one caller', [raw, guarded], options(1)))
comparisons.push(
  await compare('redis, 64 callers, 64 keys', [raw, guarded, guardedUnbatched], options(64)),
)
comparisons.push(
  await compare('redis, 64 callers, one hot key', [rawHot, guardedHot, frozenHot], options(64)),
)
comparisons.push(await compare('memory, one caller', [lruParse, memoryGuarded], options(1)))
comparisons.push(
  await compare('memory, 64 callers, 64 keys', [lruParse, memoryGuarded], options(64)),
)
printTable(comparisons)

// Redis commands per hit under the one-key load: GET and MGET calls counted by the server.
const commandCalls = async () => {
  const stats = await redis.info('commandstats')
  const calls = (name: string) =>
    Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0)
  return calls('get') + calls('mget')
}
const countSeconds = Math.min(seconds, 0.25)
const commandsBefore = await commandCalls()
const hotHits = (await opsPerSecond(guardedHot.operation, 64, countSeconds)) * countSeconds
const commandsPerHit = ((await commandCalls()) - commandsBefore) / hotHits

console.log(`
ratio: median ops/s over the baseline's median ops/s (the first row of each scenario);
per round: the lowest and highest ratio to the baseline's run in the same round;
CPU µs/op: CPU time of this process per operation (the Redis server's is not counted).
One hot key: cacheguard coalesces concurrent reads of one key into one store read (single-flight),
so 64 callers share one GET: this row measures coalescing, not the cost of a single read.
Redis commands per getOrSet hit, 64 callers on one key: ${commandsPerHit.toFixed(3)}`)

const info = await runInfo(redis)
const results = { ...info, rounds, seconds, comparisons, commandsPerHit }
const file = await writeResults('hit-path', results)
console.log(`Node ${info.node}, Redis ${info.redis}, ${info.cpus} CPUs; written to ${file}`)
const leftovers = await redis.keys(`${prefix}*`)
if (leftovers.length > 0) await redis.del(leftovers)
await redis.quit()
