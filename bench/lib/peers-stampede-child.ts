// One process of the peers stampede benchmark's fleet (bench/peers-stampede.ts), driven over IPC.
//   peers-stampede-child.ts <redis url> <prefix>
// Parent to child: { run: PeerRun } per round, then { exit: true }.
// Child to parent: { ready: pid, contenders } once connected; { done: PeerRoundReport } per run,
// or { failed: message }.
// It holds every contender over its own connection, as an application would: cacheguard with
// lockGuard (pub/sub wake-ups), each peer as its docs recommend, and plain cache-aside. Each loader
// call INCRs `<prefix>loads:<key>`, so the parent counts the loads of the whole fleet.
import { createCache } from '@cacheguard/core'
import { lockGuard } from '@cacheguard/lock'
import { redisStore } from '@cacheguard/redis'
import { Redlock } from '@sesamecare-oss/redlock'
import { Redis } from 'ioredis'
import { answerRuns, type ToFleetChild } from './fleet.js'
import { allPeers, closePeers, type PeerCache, plainCacheAside } from './peers.js'

/** One round: `callers` concurrent reads of `key` on contender number `contender`. */
export interface PeerRun {
  contender: number
  key: string
  callers: number
  loaderMs: number
  /** When to start, on the `performance.timeOrigin + performance.now()` clock (epoch ms). */
  startAt: number
}

/** What one process saw in one round. */
export interface PeerRoundReport {
  /** Each caller's time from `startAt` to its answer, in ms (fulfilled calls only). */
  latencies: number[]
  /** How late this process started its callers after `startAt`, in ms. */
  startSkewMs: number
  /** Loader calls run by this process. */
  loads: number
  /** The callers that failed, by error message. */
  errors: string[]
}

export type ToPeerChild = ToFleetChild<PeerRun>
export type FromPeerChild =
  | { ready: number; contenders: string[] }
  | { done: PeerRoundReport }
  | { failed: string }

// The parent imports the types above alone (`import type`, erased), so what follows runs only here.
await serve()

async function serve(): Promise<void> {
  const now = () => performance.timeOrigin + performance.now()
  const [url, prefix] = process.argv.slice(2) as [string, string]
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  const subscriber = redis.duplicate()
  const value = { id: 42, name: 'Ada Lovelace', tags: ['admin', 'beta', 'eu'], score: 97.5 }
  let loaderMs = 200
  let loads = 0
  const load = async (key: string) => {
    loads++
    await redis.incr(`${prefix}loads:${key}`)
    await new Promise((resolve) => setTimeout(resolve, loaderMs))
    return value
  }

  // cacheguard across processes: lockGuard over Redlock on the same Redis, waiters woken by
  // pub/sub (the setup docs/guards/lock.md recommends), so one process loads for the fleet.
  const guard = lockGuard({
    redlock: new Redlock([redis]),
    redis,
    subscriber,
    channel: `${prefix}wake`,
    lockTtl: '5s',
    waitTimeout: '5s',
    prefix: `${prefix}lock:`,
  })
  const cacheguard = createCache({
    store: redisStore(redis, { prefix: `${prefix}cg:` }),
    ttl: '1m',
    guards: [guard],
  })
  const peerOptions = { redis, url, prefix, load, ttlMs: 60_000 }
  const contenders: PeerCache[] = [
    {
      name: 'cacheguard (lockGuard, pub/sub)',
      get: (key) => cacheguard.getOrSet(key, () => load(key)),
      close: () => guard.close(),
    },
    ...allPeers({ tier: 'redis', ...peerOptions }),
    plainCacheAside({ ...peerOptions, prefix: `${prefix}plain:` }),
  ]
  const send = (message: FromPeerChild) => process.send?.(message)

  async function run(r: PeerRun): Promise<PeerRoundReport> {
    const contender = contenders[r.contender]!
    loaderMs = r.loaderMs
    loads = 0
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, r.startAt - now())))
    const startSkewMs = now() - r.startAt
    const settled = await Promise.allSettled(
      Array.from({ length: r.callers }, async () => {
        await contender.get(r.key)
        return now() - r.startAt
      }),
    )
    return {
      latencies: settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])),
      startSkewMs,
      loads,
      errors: settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : [])),
    }
  }

  answerRuns(run, async () => {
    await closePeers(contenders)
    await Promise.allSettled([redis.quit(), subscriber.quit()])
  })

  await redis.ping()
  await guard.ready()
  send({ ready: process.pid, contenders: contenders.map((c) => c.name) })
}
