import { type Cache, type Duration, parseDuration, withoutUndefined } from '@cacheguard/core'
import {
  absorbErrorEvents,
  claimLock,
  type HeldLock,
  type RedlockLike as WarmupLock,
} from '@cacheguard/lock'
import { Cron } from 'croner'
import { resolveWarmup } from './internal/options.js'
import { type WarmupOptions, type WarmupReport, warmup } from './warmup.js'

/** Options of `scheduleWarmup`: a cron pattern, the options of `warmup`, and a fleet lock. */
export interface ScheduleWarmupOptions<T> extends Omit<WarmupOptions<T>, 'signal'> {
  /** A cron pattern (5 fields, or 6 with seconds first), as croner reads it. Required. */
  cron: string
  /** The IANA time zone the pattern is read in. @default the process's time zone */
  timezone?: string
  /** A Redlock instance: with it, one process in the fleet runs each tick. @default none (every process runs every tick) */
  lock?: WarmupLock
  /** Names the job in its lock keys; jobs with different names never exclude each other. @default 'warmup' */
  name?: string
  /** Prefix of the lock keys in Redis. @default 'cacheguard:warmup:' */
  lockPrefix?: string
  /** How long the run lock lives without renewal; it is extended every third of this while the run goes on. @default '30s' */
  lockTtl?: Duration
  /** Called with each finished run's report. */
  onReport?: (report: WarmupReport, tick: Date) => void
  /** Called for each tick that did not run here, with the reason. */
  onSkip?: (skip: SkippedTick) => void
  /** Called when a run or a lock operation fails; the schedule goes on. @default none (ignored) */
  onError?: (error: unknown) => void
}

/** A tick that did not run in this process, and why. */
export interface SkippedTick {
  /** The tick's scheduled time. */
  tick: Date
  /**
   * `running`: the previous run is still going (in this process or, with `lock`, in another);
   * `elsewhere`: another process took this tick; `lock-error`: the lock could not be reached.
   */
  reason: 'running' | 'elsewhere' | 'lock-error'
  error?: unknown
}

/** A running schedule. */
export interface WarmupSchedule {
  /** Stops the schedule and resolves once the running job (if any) has finished; `abort` stops it starting new keys. */
  stop(options?: { abort?: boolean }): Promise<void>
  /** Runs a tick now, by the same rules as a scheduled one; resolves with its report, or `undefined` when skipped. */
  trigger(): Promise<WarmupReport | undefined>
  /** When the next tick is due, or `null` once stopped. */
  nextRun(): Date | null
  /** Whether a run is going on in this process. */
  readonly running: boolean
}

const DEFAULTS = { name: 'warmup', lockPrefix: 'cacheguard:warmup:', lockTtl: '30s' as Duration }

/**
 * Runs `warmup(cache, options)` on a cron schedule. A tick that finds the previous run still going
 * is skipped and reported; with `lock` (a Redlock instance) each tick runs in one process of the
 * fleet, and a run that outlasts its interval holds off the next tick everywhere.
 *
 * @example
 * const schedule = scheduleWarmup(cache, {
 *   cron: '*\/5 * * * *', lock: redlock, keys: () => cache.hotKeys(1000), load: (key) => db.find(key),
 * })
 * process.on('SIGTERM', () => schedule.stop())
 */
export function scheduleWarmup<T>(cache: Cache, options: ScheduleWarmupOptions<T>): WarmupSchedule {
  const o = { ...DEFAULTS, ...withoutUndefined(options) }
  // Redlock takes whole milliseconds only.
  const lockTtl = Math.ceil(parseDuration(o.lockTtl) ?? Number.NaN)
  if (!(lockTtl >= 1000)) {
    throw new TypeError(
      `Expected \`lockTtl\` to be a duration of 1s or more, got \`${String(o.lockTtl)}\``,
    )
  }
  if (o.lock !== undefined && typeof o.lock.acquire !== 'function') {
    throw new TypeError('Expected `lock` to be a Redlock instance (an object with `acquire`)')
  }
  const { cron, timezone, lock, name, lockPrefix, onReport, onSkip, onError, ...runOptions } = o
  resolveWarmup(cache, runOptions)
  const report = (error: unknown) => safely(() => onError?.(error))
  if (lock) absorbErrorEvents(lock)

  let current: Promise<WarmupReport | undefined> | undefined
  let abort: AbortController | undefined

  const skip = (tick: Date, reason: SkippedTick['reason'], error?: unknown) => {
    if (error !== undefined) report(error)
    safely(() => onSkip?.(error === undefined ? { tick, reason } : { tick, reason, error }))
    return undefined
  }

  const run = async (tick: Date): Promise<WarmupReport | undefined> => {
    let release = async () => {}
    const controller = new AbortController()
    // Reachable by stop({ abort: true }) from the start, lock claims included.
    abort = controller
    try {
      if (lock) {
        // One claim per tick, never released after a run: it expires a minute after the next tick,
        // so a process whose timer fires late cannot run a tick another process already ran.
        const next = job.nextRun(tick)?.getTime() ?? tick.getTime()
        const ticket = await claimLock(
          lock,
          `${lockPrefix}${name}:tick:${tick.getTime()}`,
          Math.max(next - tick.getTime(), 1000) + 60_000,
        )
        if ('taken' in ticket) return skip(tick, 'elsewhere')
        if ('error' in ticket) return skip(tick, 'lock-error', ticket.error)
        // The run lock keeps a long run from overlapping the next tick's run in another process.
        const running = await claimLock(lock, `${lockPrefix}${name}:running`, lockTtl)
        if (!('held' in running)) {
          // Give the tick back: a process that claims it once the long run ends, or whose lock
          // works, may still run it. It has not run anywhere yet.
          await ticket.held.release().catch(() => {})
          return 'taken' in running
            ? skip(tick, 'running')
            : skip(tick, 'lock-error', running.error)
        }
        release = keepAlive(running.held, lockTtl, controller, report)
      }
      if (controller.signal.aborted) return undefined
      const result = await warmup(cache, { ...runOptions, signal: controller.signal })
      safely(() => onReport?.(result, tick))
      return result
    } catch (error) {
      report(error)
      return undefined
    } finally {
      abort = undefined
      await release()
    }
  }

  const start = (tick: Date): Promise<WarmupReport | undefined> => {
    if (current) return Promise.resolve(skip(tick, 'running'))
    const running = run(tick).finally(() => {
      current = undefined
    })
    current = running
    return running
  }

  // The callback returns at once: croner's own overrun protection would skip silently, ours reports.
  const job = new Cron(cron, timezone === undefined ? {} : { timezone }, (self) => {
    const now = Date.now()
    void start(self.previousRuns(1, new Date(now + 1))[0] ?? new Date(now))
  })

  return {
    async stop({ abort: abortRun = false } = {}) {
      job.stop()
      if (abortRun) abort?.abort()
      await current
    },
    trigger: () => start(new Date()),
    nextRun: () => job.nextRun(),
    get running() {
      return current !== undefined
    },
  }
}

/**
 * Extends `held` every third of its TTL while the run goes on; a failed extension means another
 * process may take the lock, so the run is aborted (it stops starting new keys). Returns the release.
 */
function keepAlive(
  held: HeldLock,
  ttl: number,
  controller: AbortController,
  report: (error: unknown) => void,
): () => Promise<void> {
  let lock = held
  const timer = setInterval(() => {
    lock.extend(ttl).then(
      (extended) => {
        lock = extended
      },
      (error) => {
        clearInterval(timer)
        report(error)
        controller.abort(error)
      },
    )
  }, ttl / 3)
  return async () => {
    clearInterval(timer)
    await lock.release().catch(() => {
      // Expired or lost: it frees itself after its TTL.
    })
  }
}

function safely(fn: () => void): void {
  try {
    fn()
  } catch {
    // A listener that throws must not stop the schedule.
  }
}
