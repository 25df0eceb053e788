// The hit path against the peers, in one process run: raw ioredis `get` + `JSON.parse` (the
// baseline), cacheguard's getOrSet over redisStore, and each peer's read-through call over the
// same Redis with no memory layer, at 1 caller and at 64 callers on 64 keys; then the memory tier
// alone against lru-cache itself. Every contender's entries are written by its own read-through
// call first; while measuring, a loader call counts as a failure, and the Redis server's command
// counters show how many commands one read sends. BENCH_SECONDS (default 0.5) and BENCH_ROUNDS
// (default 5) change the run; see docs/benchmarks.md, "Against the peers".
import { isDeepStrictEqual } from 'node:util'
import { createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { LRUCache } from 'lru-cache'
import { connectBenchRedis } from './lib/connect.js'
import { type Comparison, type Contender, compare, printTable } from './lib/measure.js'
import { allPeers, closePeers, peerVersions } from './lib/peers.js'
import { commandsPerOperation } from './lib/redis-commands.js'
import { writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 0.5)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const value = { id: 42, name: 'Ada Lovelace', tags: ['admin', 'beta', 'eu'], score: 97.5 }
const json = JSON.stringify(value)
// Per process, so that two runs against one server never read each other's keys.
const prefix = `bench:peers-hit:${process.pid}:`
const keys = Array.from({ length: 64 }, (_, i) => `user:${i}`)

const { redis, url } = await connectBenchRedis('the peers hit-path benchmark')

// Entries are written through each library's own read-through call (its own format); once
// measuring starts every read must be a hit, so a loader call is counted as a failure.
let measuring = false
let loadsWhileMeasuring = 0
const load = async () => {
  if (measuring) loadsWhileMeasuring++
  return value
}

const cacheguardRedis = createCache({
  store: redisStore(redis, { prefix: `${prefix}cg:` }),
  ttl: '10m',
  jitter: 0,
})
const redisPeers = allPeers({ tier: 'redis', redis, url, prefix, load, ttlMs: 600_000 })
const rawKeys = keys.map((key) => `${prefix}raw:${key}`)
for (const key of rawKeys) await redis.set(key, json, 'PX', 600_000)

/** A contender from a library's read-through call, key = the caller's own key. */
const contender = (name: string, get: (key: string) => Promise<unknown>): Contender => ({
  name,
  operation: (w) => get(keys[w]!),
})
const redisContenders: Contender[] = [
  {
    name: 'raw ioredis get + JSON.parse',
    operation: async (w) => JSON.parse((await redis.get(rawKeys[w]!))!),
  },
  contender('cacheguard getOrSet (redisStore)', (key) => cacheguardRedis.getOrSet(key, load)),
  ...redisPeers.map((peer) => contender(`${peer.name} (Redis only)`, peer.get)),
]

const memoryCache = createCache({ ttl: '10m', jitter: 0 })
const memoryPeers = allPeers({ tier: 'memory', redis, url, prefix, load, ttlMs: 600_000 })
const lru = new LRUCache<string, typeof value>({ max: 10_000 })
const lruJson = new LRUCache<string, string>({ max: 10_000 })
for (const key of keys) {
  lru.set(key, value)
  lruJson.set(key, json)
}
const memoryContenders: Contender[] = [
  { name: 'lru-cache get (the stored object)', operation: async (w) => lru.get(keys[w]!) },
  {
    name: 'lru-cache get + JSON.parse',
    operation: async (w) => JSON.parse(lruJson.get(keys[w]!)!),
  },
  contender('cacheguard getOrSet (memoryStore)', (key) => memoryCache.getOrSet(key, load)),
  ...memoryPeers.map((peer) => contender(`${peer.name} (memory only)`, peer.get)),
]

/** Fills every contender, then checks that each answers every key with the value. */
async function fillAndCheck(contenders: Contender[]): Promise<void> {
  for (const c of contenders) for (let w = 0; w < keys.length; w++) await c.operation(w)
  for (const c of contenders) {
    for (let w = 0; w < keys.length; w++) {
      const answer = await c.operation(w)
      if (!isDeepStrictEqual(answer, value)) {
        throw new Error(`${c.name} answered ${JSON.stringify(answer)} for ${keys[w]}`)
      }
    }
  }
}

const comparisons: Comparison[] = []
const commandsPerRead: Array<{ name: string; oneCaller: number; callers64: number }> = []
try {
  await fillAndCheck(redisContenders)
  await fillAndCheck(memoryContenders)
  measuring = true
  console.log(
    `peers, hit path: ${rounds} alternating rounds of ${seconds} s per contender, medians\n`,
  )
  const options = (concurrency: number) => ({ concurrency, rounds, seconds })
  comparisons.push(await compare('Redis, one caller', redisContenders, options(1)))
  comparisons.push(await compare('Redis, 64 callers, 64 keys', redisContenders, options(64)))
  comparisons.push(await compare('memory, one caller', memoryContenders, options(1)))
  printTable(comparisons)

  for (const c of redisContenders) {
    commandsPerRead.push({
      name: c.name,
      oneCaller: await commandsPerOperation(redis, c.operation, 1),
      callers64: await commandsPerOperation(redis, c.operation, 64),
    })
  }
  console.log('\nRedis commands per read (server-wide INFO commandstats, lowest of 3 runs)')
  for (const row of commandsPerRead) {
    console.log(
      `  ${row.name.padEnd(44)} 1 caller ${row.oneCaller.toFixed(3)}   64 callers ${row.callers64.toFixed(3)}`,
    )
  }
  console.log(`Loader calls while measuring (must be 0): ${loadsWhileMeasuring}`)
  if (loadsWhileMeasuring > 0) process.exitCode = 1
  // A contender below one command per read at one caller would not be reading Redis each time.
  const notReading = commandsPerRead.filter((row) => row.oneCaller < 0.99)
  for (const row of notReading) console.error(`${row.name} sent no Redis command for some reads`)
  if (notReading.length > 0) process.exitCode = 1

  const info = await runInfo(redis)
  const results = {
    ...info,
    peers: await peerVersions(),
    rounds,
    seconds,
    comparisons,
    commandsPerRead,
    loadsWhileMeasuring,
  }
  const file = await writeResults('peers-hit-path', results)
  console.log(`Node ${info.node}, Redis ${info.redis}, ${info.cpus} CPUs; written to ${file}`)
} finally {
  await closePeers([...redisPeers, ...memoryPeers])
  const leftovers = await redis.keys(`${prefix}*`)
  if (leftovers.length > 0) await redis.unlink(leftovers)
  await redis.quit()
}
