// The getOrSet hit path on a Redis Cluster of 3 masters started for the run, against raw ioredis
// Cluster `get` + `JSON.parse` on the same cluster and client: the three scenarios of hit-path.ts.
import { createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { startRedisCluster } from '../test/helpers/redis-cluster.js'
import { type Comparison, compare, printTable } from './lib/measure.js'
import { writeResults } from './lib/report.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 1)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const value = { id: 42, name: 'Ada Lovelace', tags: ['admin', 'beta', 'eu'], score: 97.5 }
const json = JSON.stringify(value)
const keys = Array.from({ length: 64 }, (_, i) => `user:${i}`)

const cluster = await startRedisCluster(3)
const client = cluster.connect()
try {
  const cache = createCache({ store: redisStore(client, { prefix: 'cg:' }), ttl: '10m', jitter: 0 })
  for (const key of keys) {
    await client.set(`raw:${key}`, json, 'PX', 600_000)
    await cache.set(key, value)
  }
  const load = () => value
  const raw = {
    name: 'raw ioredis Cluster get + JSON.parse',
    operation: async (w: number) => JSON.parse((await client.get(`raw:${keys[w]}`))!),
  }
  const rawHot = {
    name: raw.name,
    operation: async () => JSON.parse((await client.get(`raw:${keys[0]}`))!),
  }
  const guarded = {
    name: 'cacheguard getOrSet (redisStore)',
    operation: (w: number) => cache.getOrSet(keys[w]!, load),
  }
  const guardedHot = { name: guarded.name, operation: () => cache.getOrSet(keys[0]!, load) }
  const options = (concurrency: number) => ({ concurrency, rounds, seconds })
  console.log(`hit path on a 3-master Redis Cluster, ${rounds} rounds of ${seconds} s, medians\n`)
  const comparisons: Comparison[] = [
    await compare('cluster, one caller', [raw, guarded], options(1)),
    await compare('cluster, 64 callers, 64 keys', [raw, guarded], options(64)),
    await compare('cluster, 64 callers, one hot key', [rawHot, guardedHot], options(64)),
  ]
  printTable(comparisons)
  await writeResults('hit-path-cluster', {
    date: new Date().toISOString(),
    node: process.version,
    rounds,
    seconds,
    comparisons,
  })
} finally {
  await client.quit().catch(() => client.disconnect())
  await cluster.stop()
}
