import { fileURLToPath } from 'node:url'
import { createCache } from '@cacheguard/core'
import type { LockGuardStats } from '@cacheguard/lock'
import { redisStore } from '@cacheguard/redis'
import type { Redis } from 'ioredis'
import { forkFleet } from './fleet.js'
import type { RunResult } from './scenario.js'
import { percentile, timeline } from './stats.js'

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
  /** The runs, in order. @default ['plain', 'single-flight', 'lock'] */
  modes?: readonly StampedeMode[]
  /** Called as each run starts, with its label (the demo prints progress from it). */
  onRun?: (label: string) => void
}

/** How a process answers its callers in a run. */
export type StampedeMode = 'plain' | 'single-flight' | 'lock'

/** What the parent sends a process. */
export type ParentMessage = { type: 'setup'; url: string } | RoundMessage | { type: 'close' }

/** One run: at `at` (epoch ms), `callers` concurrent getOrSet for `key` in the store under `prefix`. */
export interface RoundMessage {
  type: 'round'
  prefix: string
  key: string
  /** plain cache-aside, getOrSet (single-flight in each process), or getOrSet with lockGuard. */
  mode: StampedeMode
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

const LABELS: Record<StampedeMode, string> = {
  plain: 'without cacheguard',
  'single-flight': 'single-flight only',
  lock: 'single-flight + lockGuard',
}
const CHILD = fileURLToPath(new URL('./stampede-child.ts', import.meta.url))
const KEY = 'user:42'
const USER = { id: 42, name: 'user 42', tags: ['a', 'b', 'c'] }
/** From the go message to the start: every process has it by then, and the 20 ms entry expired. */
const START_DELAY_MS = 100

/**
 * Stampede: breakdown across processes. `processes` real processes share one Redis, and in each
 * `callers` concurrent requests arrive for a hot key that has just expired. Plain cache-aside
 * sends every request to the database; single-flight coalesces the callers of one process, so
 * the database still gets one query per process; with lockGuard one process in the fleet loads
 * and the others wait for its value. Returns one result per run, in the order of `modes`.
 *
 * @example
 * const [plain, singleFlight, locked] = await runStampede({ redis, url, prefix: 'storm:1a2b:' })
 * plain.dbQueries // 1000
 * singleFlight.dbQueries // 4
 * locked.dbQueries // 1
 */
export async function runStampede(options: StampedeOptions): Promise<StampedeResult[]> {
  const processes = options.processes ?? 4
  const callers = options.callers ?? 250
  const latencyMs = options.latencyMs ?? 50
  const runTimeoutMs = options.runTimeoutMs ?? 10_000 + 2 * latencyMs
  const fleet = forkFleet(options.child ?? CHILD, processes, 'stampede process')

  const run = async (mode: StampedeMode): Promise<StampedeResult> => {
    const prefix = `${options.prefix}stampede:${mode}:`
    if (mode === 'plain') await options.redis.set(`${prefix}${KEY}`, JSON.stringify(USER), 'PX', 20)
    else
      await createCache({ store: redisStore(options.redis, { prefix }) }).set(KEY, USER, {
        ttl: 20,
      })
    options.onRun?.(LABELS[mode])
    // One start time for all: an IPC message reaches each process at a slightly different moment.
    const at = Date.now() + START_DELAY_MS
    const round: RoundMessage = { type: 'round', prefix, key: KEY, mode, callers, latencyMs, at }
    const answers = await fleet.ask<RoundAnswer>(round, runTimeoutMs)
    const ended = Date.now()
    const latencies = answers.flatMap((answer) => answer.latencies)
    const queries = answers.flatMap((answer) => answer.queries)
    const lock = sumStats(answers.flatMap((answer) => (answer.lock ? [answer.lock] : [])))
    return {
      label: LABELS[mode],
      requests: latencies.length,
      errors: answers.reduce((sum, answer) => sum + answer.errors, 0),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      dbQueries: queries.length,
      peakConcurrent: peakOverlap(queries),
      timeline: timeline(
        queries.map(([start]) => start),
        at,
        ended,
      ),
      ...(lock ? { lock } : {}),
    }
  }

  try {
    await fleet.ask({ type: 'setup', url: options.url }, options.startTimeoutMs ?? 20_000)
    const results: StampedeResult[] = []
    for (const mode of options.modes ?? (['plain', 'single-flight', 'lock'] as const)) {
      results.push(await run(mode))
    }
    return results
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

/** The processes' lock guard counts, added up name by name. */
function sumStats([first, ...rest]: LockGuardStats[]): LockGuardStats | undefined {
  if (first === undefined) return undefined
  const total = { ...first }
  for (const stats of rest) {
    for (const name of Object.keys(total) as Array<keyof LockGuardStats>) total[name] += stats[name]
  }
  return total
}
