// The getOrSet hit path against raw ioredis `get` + `JSON.parse` on the same Redis, in the same
// process run, and the memory store's hit path against lru-cache itself. Ratios are the headline;
// see docs/benchmarks.md for the method. BENCH_SECONDS and BENCH_ROUNDS shorten or lengthen it.
import { mkdir, writeFile } from 'node:fs/promises'
import { createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { Redis } from 'ioredis'
import { LRUCache } from 'lru-cache'
import { type Comparison, compare, opsPerSecond, printTable } from './lib/measure.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 1)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const value = { id: 42, name: 'Ada Lovelace', tags: ['admin', 'beta', 'eu'], score: 97.5 }
const json = JSON.stringify(value)
const prefix = `bench:${process.pid}:`
const keys = Array.from({ length: 64 }, (_, i) => `user:${i}`)

const redis = new Redis(url, {
  lazyConnect: true,
  maxRetriesPerRequest: 1,
  connectTimeout: 1000,
  retryStrategy: () => null,
})
redis.on('error', () => {})
try {
  await redis.connect()
  await redis.ping()
} catch {
  console.error(`No Redis answers at ${url}: the hit-path benchmark needs one (set REDIS_URL).`)
  process.exit(1)
}

const cache = createCache({
  store: redisStore(redis, { prefix: `${prefix}cg:` }),
  ttl: '10m',
  jitter: 0,
})
for (const key of keys) {
  await redis.set(`${prefix}raw:${key}`, json, 'PX', 600_000)
  await cache.set(key, value)
}
const load = () => value
const raw = {
  name: 'raw ioredis get + JSON.parse',
  operation: async (w: number) => JSON.parse((await redis.get(`${prefix}raw:${keys[w]}`))!),
}
const rawHot = {
  name: 'raw ioredis get + JSON.parse',
  operation: async () => JSON.parse((await redis.get(`${prefix}raw:${keys[0]}`))!),
}
const guarded = {
  name: 'cacheguard getOrSet (redisStore)',
  operation: (w: number) => cache.getOrSet(keys[w]!, load),
}
const frozen = createCache({
  store: redisStore(redis, { prefix: `${prefix}cg:` }),
  ttl: '10m',
  jitter: 0,
  values: 'frozen',
})
const frozenHot = {
  name: "cacheguard getOrSet, values: 'frozen'",
  operation: () => frozen.getOrSet(keys[0]!, load),
}
const guardedHot = {
  name: 'cacheguard getOrSet (redisStore)',
  operation: () => cache.getOrSet(keys[0]!, load),
}

const memory = createCache({ ttl: '10m', jitter: 0 })
const lru = new LRUCache<string, string>({ max: 10_000 })
for (const key of keys) {
  await memory.set(key, value)
  lru.set(key, json)
}
const lruParse = {
  name: 'lru-cache get + JSON.parse',
  operation: async (w: number) => JSON.parse(lru.get(keys[w]!)!),
}
const memoryGuarded = {
  name: 'cacheguard getOrSet (memoryStore)',
  operation: (w: number) => memory.getOrSet(keys[w]!, load),
}

const options = (concurrency: number) => ({ concurrency, rounds, seconds })
const comparisons: Comparison[] = []
console.log(
  `hit path, ${rounds} rounds of ${seconds} s per contender, medians; Node ${process.version}\n`,
)
comparisons.push(await compare('redis, one caller', [raw, guarded], options(1)))
comparisons.push(await compare('redis, 64 callers, 64 keys', [raw, guarded], options(64)))
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
const commandsBefore = await commandCalls()
const hotHits = (await opsPerSecond(guardedHot.operation, 64, seconds)) * seconds
const commandsPerHit = ((await commandCalls()) - commandsBefore) / hotHits
console.log(
  `\nRedis commands per getOrSet hit, 64 callers on one key: ${commandsPerHit.toFixed(3)}`,
)

const info = await redis.info('server')
const redisVersion = /redis_version:(\S+)/.exec(info)?.[1]
await mkdir(new URL('./results/', import.meta.url), { recursive: true })
await writeFile(
  new URL('./results/hit-path.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, redis: redisVersion, rounds, seconds, comparisons, commandsPerHit }, null, 2)}\n`,
)
const leftovers = await redis.keys(`${prefix}*`)
if (leftovers.length > 0) await redis.del(leftovers)
await redis.quit()
