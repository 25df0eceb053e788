// One process of the stampede benchmark's fleet (bench/stampede.ts), driven over IPC.
//   stampede-child.ts <redis url> <prefix>
// Parent to child: { run: Run }, then { exit: true } at the end.
// Child to parent: { ready: pid } once connected and subscribed; { done: RoundReport } per run, or
// { failed: message }.
// It holds one cache per mode over one shared connection, as an application would: no guard
// (single-flight only), lockGuard with pub/sub wake-ups, and lockGuard polling (no subscriber).
// Each loader call INCRs `<prefix>loads:<key>`, so the parent counts the loads of the whole fleet.
import { type Cache, createCache } from '@cacheguard/core'
import { type LockGuard, type LockGuardStats, lockGuard } from '@cacheguard/lock'
import { redisStore } from '@cacheguard/redis'
import { Redlock } from '@sesamecare-oss/redlock'
import { Redis } from 'ioredis'
import { answerRuns, type ToFleetChild } from './fleet.js'

/** How the fleet is protected in a round. */
export type Mode = 'none' | 'pubsub' | 'polling'

/** One round: `callers` concurrent `getOrSet(key)` calls, started at `startAt`. */
export interface Run {
  mode: Mode
  key: string
  callers: number
  loaderMs: number
  /** When to start, on the `performance.timeOrigin + performance.now()` clock (epoch ms). */
  startAt: number
}

/** What one process saw in one round. */
export interface RoundReport {
  pid: number
  /** Each caller's time from the common `startAt` to its answer, in ms (fulfilled calls only). */
  latencies: number[]
  /** How late this process started its callers after `startAt`, in ms. */
  startSkewMs: number
  /** Loader calls run by this process, and how long each took (INCR + the sleep), in ms. */
  loaderMs: number[]
  /** The distinct values its callers received: `<key> from <pid of the loader>`. */
  values: string[]
  /** Error codes of the callers that failed. */
  errors: string[]
  /** What the round's lock guard did in this process (undefined without one). */
  guard: LockGuardStats | undefined
}

export type ToChild = ToFleetChild<Run>
export type FromChild = { ready: number } | { done: RoundReport } | { failed: string }

// The parent imports the types above alone (`import type`, erased), so what follows runs only here.
await serve()

async function serve(): Promise<void> {
  /** Epoch ms with sub-millisecond resolution, on the clock the parent's `startAt` is on. */
  const now = () => performance.timeOrigin + performance.now()
  const [url, prefix] = process.argv.slice(2) as [string, string]
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  const subscriber = redis.duplicate()
  const redlock = new Redlock([redis])
  const lockOptions = {
    redlock,
    lockTtl: '5s',
    waitTimeout: '5s',
    prefix: `${prefix}lock:`,
  } as const
  const guards: Record<Mode, LockGuard | undefined> = {
    none: undefined,
    pubsub: lockGuard({ ...lockOptions, redis, subscriber, channel: `${prefix}wake` }),
    polling: lockGuard(lockOptions),
  }
  const caches = Object.fromEntries(
    Object.entries(guards).map(([mode, guard]) => [
      mode,
      createCache({
        store: redisStore(redis, { prefix }),
        guards: guard ? [guard] : [],
        ttl: '1m',
      }),
    ]),
  ) as Record<Mode, Cache>
  const send = (message: FromChild) => process.send?.(message)

  async function run({ mode, key, callers, loaderMs, startAt }: Run): Promise<RoundReport> {
    const cache = caches[mode]
    const guard = guards[mode]
    const before = guard?.stats()
    const loads: number[] = []
    const loader = async () => {
      const started = performance.now()
      await redis.incr(`${prefix}loads:${key}`)
      await new Promise((resolve) => setTimeout(resolve, loaderMs))
      loads.push(performance.now() - started)
      return `${key} from ${process.pid}`
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - now())))
    const startSkewMs = now() - startAt
    const settled = await Promise.allSettled(
      Array.from({ length: callers }, async () => {
        const value = await cache.getOrSet(key, loader)
        return { value, ms: now() - startAt }
      }),
    )
    const after = guard?.stats()
    return {
      pid: process.pid,
      latencies: settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.ms] : [])),
      startSkewMs,
      loaderMs: loads,
      values: [
        ...new Set(
          settled.flatMap((s) => (s.status === 'fulfilled' ? [String(s.value.value)] : [])),
        ),
      ],
      errors: settled.flatMap((s) =>
        s.status === 'rejected' ? [String((s.reason as { code?: string })?.code ?? s.reason)] : [],
      ),
      guard:
        before && after
          ? (Object.fromEntries(
              Object.entries(after).map(([name, count]) => [
                name,
                count - before[name as keyof LockGuardStats],
              ]),
            ) as unknown as LockGuardStats)
          : undefined,
    }
  }

  answerRuns(run, async () => {
    for (const guard of Object.values(guards)) await guard?.close()
    await Promise.allSettled([redis.quit(), subscriber.quit()])
  })

  await redis.ping()
  await guards.pubsub!.ready()
  send({ ready: process.pid })
}
