import { fileURLToPath } from 'node:url'
import { createCache } from '@cacheguard/core'
import type { LockGuardStats } from '@cacheguard/lock'
import { redisStore } from '@cacheguard/redis'
import type { Redis } from 'ioredis'
import { forkFleet } from './fleet.js'
import type { RunResult } from './scenario.js'
import { percentile } from './stats.js'

/** What one stampede run measured, over all its processes. */
export interface StampedeResult extends RunResult {
  /** The processes' lock guard counts, summed; only on the run with lockGuard. */
  lock?: LockGuardStats
}

/** Options of `runStampede`. */
export interface StampedeOptions {
  /** A connection to the Redis the processes share; it writes the hot key that then expires. */
  redis: Redis
  /** The URL of that Redis, which each process connects to. */
  url: string
  /** Prefix of every key the scenario writes. */
  prefix: string
  /** Processes started. @default 4 */
  processes?: number
  /** Concurrent requests for the hot key in each process. @default 250 */
  callers?: number
  /** Database latency in milliseconds. @default 50 */
  latencyMs?: number
  /** How long the processes may take to start and connect, in ms (tsx compiles each one). @default 20000 */
  startTimeoutMs?: number
  /** How long each run may take once started, in ms (lockGuard's wait is 5 s). @default 10000 + 2 x latencyMs */
  runTimeoutMs?: number
  /** The module each process runs. @default stampede-child.ts, beside this file */
  child?: string
}

/** What the parent sends a process. */
export type ParentMessage = { type: 'setup'; url: string } | RoundMessage | { type: 'close' }

/** One run: at `at` (epoch ms), `callers` concurrent getOrSet for `key` in the store under `prefix`. */
export interface RoundMessage {
  type: 'round'
  prefix: string
  key: string
  lock: boolean
  callers: number
  latencyMs: number
  at: number
}

/** What a process answers. */
export type ChildAnswer = { type: 'ready' } | RoundAnswer | { type: 'error'; message: string }

/** A process's run: each caller's latency (ms) and each database query's [start, end] (epoch ms). */
export interface RoundAnswer {
  type: 'result'
  latencies: number[]
  errors: number
  queries: Array<[number, number]>
  lock?: LockGuardStats
}

const CHILD = fileURLToPath(new URL('./stampede-child.ts', import.meta.url))
const KEY = 'user:42'
const USER = { id: 42, name: 'user 42', tags: ['a', 'b', 'c'] }
/** From the go message to the start: every process has it by then, and the 20 ms entry expired. */
const START_DELAY_MS = 100

/**
 * Stampede: breakdown across processes. `processes` real processes share one Redis, and in each
 * `callers` concurrent requests arrive for a hot key that has just expired. Single-flight
 * coalesces the callers of one process, so the database still gets one query per process; with
 * lockGuard one process in the fleet loads and the others wait for its value.
 *
 * @example
 * const [without, guarded] = await runStampede({ redis, url, prefix: 'storm:1a2b:' })
 * without.dbQueries // 4
 * guarded.dbQueries // 1
 */
export async function runStampede(
  options: StampedeOptions,
): Promise<[StampedeResult, StampedeResult]> {
  const processes = options.processes ?? 4
  const callers = options.callers ?? 250
  const latencyMs = options.latencyMs ?? 50
  const runTimeoutMs = options.runTimeoutMs ?? 10_000 + 2 * latencyMs
  const fleet = forkFleet(options.child ?? CHILD, processes, 'stampede process')

  const run = async (lock: boolean): Promise<StampedeResult> => {
    const prefix = `${options.prefix}stampede:${lock ? 'locked' : 'plain'}:`
    await createCache({ store: redisStore(options.redis, { prefix }) }).set(KEY, USER, { ttl: 20 })
    // One start time for all: an IPC message reaches each process at a slightly different moment.
    const at = Date.now() + START_DELAY_MS
    const round: RoundMessage = { type: 'round', prefix, key: KEY, lock, callers, latencyMs, at }
    const answers = await fleet.ask<RoundAnswer>(round, runTimeoutMs)
    const latencies = answers.flatMap((answer) => answer.latencies)
    const queries = answers.flatMap((answer) => answer.queries)
    const stats = answers.flatMap((answer) => (answer.lock ? [answer.lock] : []))
    return {
      label: lock ? 'single-flight + lockGuard' : 'single-flight only',
      requests: latencies.length,
      errors: answers.reduce((sum, answer) => sum + answer.errors, 0),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      dbQueries: queries.length,
      peakConcurrent: peakOverlap(queries),
      ...(lock ? { lock: sumStats(stats) } : {}),
    }
  }

  try {
    await fleet.ask({ type: 'setup', url: options.url }, options.startTimeoutMs ?? 20_000)
    const without = await run(false)
    const guarded = await run(true)
    return [without, guarded]
  } finally {
    await fleet.close()
  }
}

/** The most intervals open at one moment; one that ends as another starts does not overlap it. */
function peakOverlap(intervals: ReadonlyArray<[number, number]>): number {
  const edges = intervals.flatMap(
    ([start, end]): Array<[number, number]> => [
      [start, 1],
      [end, -1],
    ],
  )
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let open = 0
  let peak = 0
  for (const [, step] of edges) {
    open += step
    peak = Math.max(peak, open)
  }
  return peak
}

function sumStats(all: LockGuardStats[]): LockGuardStats {
  const total: LockGuardStats = {
    acquired: 0,
    waited: 0,
    servedByOthers: 0,
    foundAfterLock: 0,
    refreshesSkipped: 0,
    timeouts: 0,
    unavailable: 0,
    lost: 0,
  }
  for (const stats of all) {
    for (const name of Object.keys(total) as Array<keyof LockGuardStats>) total[name] += stats[name]
  }
  return total
}
