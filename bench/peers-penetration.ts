// Penetration against the peers: 100,000 ids that exist nowhere are read through each library, on
// the same Redis, from 64 concurrent callers; the source of truth answers `null` for each. Pass 1
// asks each id once; pass 2 asks the first 10,000 of them once more (what negative caching saves).
// Measured: loader calls per pass. cacheguard runs with its best option, bloomGuard over a shared
// redisBloom of the 100,000 ids that do exist (errorRate 0.01), plus its negative caching; the
// peers with theirs, negative caching (each caches `null` like any value). Target: cacheguard's
// pass 1 at most 1.1 x errorRate x N. BENCH_KNOWN, BENCH_UNKNOWN and BENCH_REPEAT change it.
import { bloomGuard, redisBloom, seedBloom } from '@cacheguard/bloom'
import { createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { connectBenchRedis, deleteKeys } from './lib/connect.js'
import {
  type Load,
  type PeerCache,
  peerFactories,
  peerVersions,
  plainCacheAside,
} from './lib/peers.js'
import { writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'

const knownCount = Number(process.env.BENCH_KNOWN ?? 100_000)
const unknownCount = Number(process.env.BENCH_UNKNOWN ?? 100_000)
const repeatCount = Math.min(unknownCount, Number(process.env.BENCH_REPEAT ?? 10_000))
const errorRate = 0.01
const concurrency = 64
const target = 1.1 * errorRate * unknownCount
// Per process, so that two runs against one server never touch each other's keys.
const prefix = `bench:peers-penetration:${process.pid}:`
// Ids that exist are user:0 .. user:<known - 1>; the attack asks for the ids after them.
const knownIds = Array.from({ length: knownCount }, (_, i) => `user:${i}`)
const unknownIds = Array.from({ length: unknownCount }, (_, i) => `user:${knownCount + i}`)

const { redis, url } = await connectBenchRedis('the peers penetration benchmark')

/** A contender built with `load` as its source of truth, and what it is set up with. */
interface Entry {
  option: string
  create: (load: Load, prefix: string) => Promise<PeerCache>
}

const entries: Entry[] = [
  {
    option: 'bloomGuard (redisBloom, errorRate 0.01) + negativeTtl 1m',
    async create(load, own) {
      // The filter every process shares, seeded from the source of truth's ids before traffic.
      const filter = redisBloom(redis, {
        key: 'users',
        capacity: knownCount,
        errorRate,
        prefix: `${own}bloom:`,
      })
      await seedBloom(filter, knownIds, { batchSize: 5000 })
      const cache = createCache({
        store: redisStore(redis, { prefix: own }),
        ttl: '1m',
        negativeTtl: '1m',
        guards: [bloomGuard({ filter })],
      })
      return {
        name: 'cacheguard',
        get: (key) => cache.getOrSet(key, () => load(key)),
        close: async () => {},
      }
    },
  },
  ...peerFactories().map(
    (factory): Entry => ({
      option: 'negative caching: null cached for the TTL (1m)',
      create: async (load, own) =>
        factory({ tier: 'redis', redis, url, prefix: own, load, ttlMs: 60_000 }),
    }),
  ),
  {
    option: 'none (a miss is not remembered)',
    create: async (load, own) => plainCacheAside({ redis, prefix: own, load, ttlMs: 60_000 }),
  },
]

/** Reads every id of `ids` through `peer` from `concurrency` callers; returns reads per second. */
async function ask(peer: PeerCache, ids: string[]): Promise<number> {
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const answer = await peer.get(ids[next++]!)
        if (answer !== null && answer !== undefined) {
          throw new Error(`${peer.name} answered ${JSON.stringify(answer)} for an unknown id`)
        }
      }
    }),
  )
  return ids.length / ((performance.now() - started) / 1000)
}

const rows: Array<{
  name: string
  option: string
  loads: number
  loadsPerId: number
  repeatLoads: number
  readsPerSecond: number
}> = []
try {
  console.log(
    `peers, penetration: ${unknownCount.toLocaleString('en-US')} unknown ids asked once, then ${repeatCount.toLocaleString('en-US')} of them again; ${concurrency} callers; ${knownCount.toLocaleString('en-US')} known ids\n`,
  )
  for (const [i, entry] of entries.entries()) {
    const own = `${prefix}${i}:`
    let loads = 0
    const load: Load = async () => {
      loads++
      return null
    }
    const peer = await entry.create(load, own)
    try {
      const readsPerSecond = await ask(peer, unknownIds)
      const firstPass = loads
      await ask(peer, unknownIds.slice(0, repeatCount))
      rows.push({
        name: peer.name,
        option: entry.option,
        loads: firstPass,
        loadsPerId: firstPass / unknownCount,
        repeatLoads: loads - firstPass,
        readsPerSecond,
      })
      console.log(
        `${peer.name.padEnd(36)} pass 1: ${String(firstPass).padStart(7)} loads (${((100 * firstPass) / unknownCount).toFixed(2)}%)   pass 2: ${String(loads - firstPass).padStart(6)} loads   ${Math.round(readsPerSecond).toLocaleString('en-US')} reads/s   [${entry.option}]`,
      )
    } finally {
      await peer.close()
      // Each contender's keys go as soon as it is done: 100,000 "not found" entries apiece.
      await deleteKeys(redis, `${own}*`, `{${own}*`)
    }
  }
  const ours = rows[0]!
  const met = ours.loads <= target
  console.log(
    `\nTarget: cacheguard's pass 1 at most 1.1 x ${errorRate} x ${unknownCount} = ${Math.round(target)} loads: ${met ? 'met' : 'NOT met'} (${ours.loads}).`,
  )
  if (!met) process.exitCode = 1

  const info = await runInfo(redis)
  const results = {
    ...info,
    peers: await peerVersions(),
    knownCount,
    unknownCount,
    repeatCount,
    errorRate,
    concurrency,
    target,
    rows,
  }
  const file = await writeResults('peers-penetration', results)
  console.log(`Node ${info.node}, Redis ${info.redis}, ${info.cpus} CPUs; written to ${file}`)
} finally {
  await deleteKeys(redis, `${prefix}*`, `{${prefix}*`)
  await redis.quit()
}
