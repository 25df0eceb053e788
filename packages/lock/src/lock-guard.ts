import {
  type Duration,
  describeValue,
  type Guard,
  type GuardContext,
  LockLostError,
  LockTimeoutError,
  LockUnavailableError,
  parseDuration,
  withoutUndefined,
} from '@cacheguard/core'
import type { Cluster, Redis } from 'ioredis'
import { absorbErrorEvents, claimLock, type HeldLock, type RedlockLike } from './claim-lock.js'
import { watchHolder } from './internal/lock-holder.js'
import { type Watch, wakeups } from './internal/wakeups.js'

/** Options of `lockGuard`. */
export interface LockGuardOptions {
  /**
   * A Redlock instance (`new Redlock([redis])` from `@sesamecare-oss/redlock`): over one Redis, a
   * Cluster, or several independent masters for a quorum. Required.
   */
  redlock: RedlockLike
  /** How long a lock lives unless renewed; the holder renews it every third of this while it loads, so it bounds how long a dead holder blocks the key. Use one value across the fleet: waiters judge a holder's liveness by it. @default '5s' */
  lockTtl?: Duration
  /**
   * How long a process waits for a live holder to load the key before `onWaitTimeout` applies. At
   * this deadline the waiter reads the lock: a holder that renewed it within the last `lockTtl / 2`
   * is alive, and the wait ends; one that missed its renewal (it died, or stalled) is waited out
   * until its lock expires, then the waiters compete for the lock (one loads, the others are
   * served). A new holder, such as a waiter that took over, starts a new `waitTimeout`. @default '5s'
   */
  waitTimeout?: Duration
  /**
   * What a waiter does at `waitTimeout`, and when the lock servers cannot be reached: `'stale'`
   * serves a stale value if one exists, else loads; `'load'` loads anyway; `'throw'` rejects with
   * `CG_LOCK_TIMEOUT` (or `CG_LOCK_UNAVAILABLE`). @default 'stale'
   */
  onWaitTimeout?: 'stale' | 'load' | 'throw'
  /** Publishes the wake-ups: any connection, such as the one your store uses. @default none (waiters poll) */
  redis?: Redis | Cluster
  /** A connection of its own that subscribes to the wake-ups: `redis.duplicate()`. @default none (waiters poll) */
  subscriber?: Redis | Cluster
  /** The pub/sub channel of the wake-ups. @default 'cacheguard:lock' */
  channel?: string
  /** How often a waiter checks the store and the lock when no message wakes it (a lost message, a holder that died). @default '100ms' */
  pollInterval?: Duration
  /** Prepended to lock keys. @default 'cacheguard:lock:' */
  prefix?: string
  /** Hand each load a fencing token from the store and write its entry with it (stores with `nextFence`/`setFenced`). @default true */
  fencing?: boolean
}

/** What a lock guard has done since it was created. */
export interface LockGuardStats {
  /** Locks taken: loads (or re-reads) run by this process for the fleet. */
  acquired: number
  /** Misses that found the lock taken and waited. */
  waited: number
  /** Waits answered by the value another process loaded: the loads this guard prevented here. */
  servedByOthers: number
  /** Re-reads after taking the lock that found the value already there. */
  foundAfterLock: number
  /** Background refreshes skipped because another process was refreshing the key. */
  refreshesSkipped: number
  /** Waits that reached `waitTimeout` with a live holder (a dead holder's wait goes on). */
  timeouts: number
  /** Lock attempts the lock servers could not answer. */
  unavailable: number
  /** Locks lost while loading (extension failed). */
  lost: number
}

/** The guard `lockGuard` returns. */
export interface LockGuard extends Guard {
  /** Resolves once the wake-up subscription is active (at once without a subscriber). */
  ready(): Promise<void>
  /** Counts of what the guard did. */
  stats(): LockGuardStats
  /** Stops listening for wake-ups; the connections stay yours. */
  close(): Promise<void>
}

const DEFAULTS = {
  lockTtl: '5s',
  waitTimeout: '5s',
  onWaitTimeout: 'stale',
  channel: 'cacheguard:lock',
  pollInterval: '100ms',
  prefix: 'cacheguard:lock:',
  fencing: true,
} as const satisfies Partial<LockGuardOptions>

/**
 * Breakdown protection across processes: on a miss, one process in the whole fleet takes the
 * key's lock and loads; the others wait, are woken when the value is written, and read it. The
 * lock is an efficiency lock (it makes duplicate loads rare); fencing tokens are what keep a late
 * write from a holder that lost its lock from overwriting a newer value.
 *
 * @example
 * const redlock = new Redlock([redis])
 * const cache = createCache({
 *   store: redisStore(redis),
 *   guards: [lockGuard({ redlock, redis, subscriber: redis.duplicate() })],
 * })
 */
export function lockGuard(options: LockGuardOptions): LockGuard {
  const o = resolve(options)
  absorbErrorEvents(o.redlock)
  const wake = wakeups(o.redis, o.subscriber, o.channel)
  const stats: LockGuardStats = {
    acquired: 0,
    waited: 0,
    servedByOthers: 0,
    foundAfterLock: 0,
    refreshesSkipped: 0,
    timeouts: 0,
    unavailable: 0,
    lost: 0,
  }

  const fallback = async (ctx: GuardContext, next: () => Promise<unknown>, error: Error) => {
    if (o.onWaitTimeout === 'throw') throw error
    // 'stale' and 'load' alike: a caller with a stale value was served it at once and only its
    // background refresh gets here (and skips), so what is left to do is to load.
    await takeFence(ctx)
    return next()
  }

  const takeFence = async (ctx: GuardContext) => {
    if (!o.fencing) return
    try {
      await ctx.fence()
    } catch (error) {
      // The load goes on unfenced: a write that may be late beats no value.
      ctx.report(error)
    }
  }

  const holdAndLoad = async (ctx: GuardContext, next: () => Promise<unknown>, held: HeldLock) => {
    stats.acquired++
    let lock = held
    let lost = false
    let timer: NodeJS.Timeout | undefined
    const extend = () => {
      timer = setTimeout(async () => {
        try {
          lock = await lock.extend(o.lockTtlMs)
          extend()
        } catch (error) {
          lost = true
          stats.lost++
          const reason = new LockLostError(ctx.key, error)
          ctx.report(reason)
          ctx.abort(reason)
        }
      }, o.lockTtlMs / 3)
      timer.unref()
    }
    extend()
    let written = false
    try {
      // Another process may have written the value between our miss and our lock.
      const stored = await ctx.reread()
      if (stored !== undefined) {
        stats.foundAfterLock++
        return stored
      }
      await takeFence(ctx)
      const value = await next()
      written = true
      return value
    } finally {
      clearTimeout(timer)
      // In the background: the callers here have their answer now. Redlock's release deletes the
      // key only if it still holds our value, so a lock that was lost is never released for its
      // new holder. Its failure is reported, never thrown over the load's own result. With the
      // value written, waiters are woken first (they only read the store); after a failure, the
      // lock is released first, so the one that wins it next finds it free.
      const release = async () => {
        if (!lost) await lock.release().catch((error: unknown) => ctx.report(error))
      }
      const announce = () =>
        wake.announce(ctx.storeKey).catch((error: unknown) => ctx.report(error))
      void (written ? announce().then(release) : release().then(announce))
    }
  }

  /**
   * Takes the lock and loads, or waits for the holder's value: `waitTimeout` per live holder. At
   * the deadline, a holder that has stopped renewing its lock is waited out rather than timed out
   * (see `watchHolder`), so a dead holder costs the fleet one more load, not one per process.
   */
  const loadOrWait = async (ctx: GuardContext, next: () => Promise<unknown>, watch: Watch) => {
    const resource = lockKey(o.prefix, ctx.storeKey)
    let deadline = Date.now() + o.waitTimeoutMs
    const holder = watchHolder(o.redlock, resource, o)
    let waited = false
    for (;;) {
      if (ctx.signal.aborted) throw ctx.signal.reason
      const claimed = await claimLock(o.redlock, resource, o.lockTtlMs, deadline - Date.now())
      if ('held' in claimed) return holdAndLoad(ctx, next, claimed.held)
      // Cut off by the end of the wait rather than failed: a timeout like any other.
      if ('error' in claimed && Date.now() < deadline) {
        stats.unavailable++
        const error = new LockUnavailableError(ctx.key, claimed.error)
        // A background refresh leaves the stale value in place rather than load unlocked.
        if (ctx.refresh) {
          ctx.report(error)
          return ctx.skip()
        }
        if (o.onWaitTimeout !== 'throw') ctx.report(error)
        return fallback(ctx, next, error)
      }
      // Taken (or out of time): another process is loading (or refreshing) this key.
      if (ctx.refresh) {
        stats.refreshesSkipped++
        return ctx.skip()
      }
      if (!waited) {
        waited = true
        stats.waited++
        await holder.note()
      }
      if (deadline - Date.now() <= 0) {
        const later = await holder.judge()
        if (later === undefined) {
          stats.timeouts++
          return fallback(ctx, next, new LockTimeoutError(ctx.key, o.waitTimeoutMs))
        }
        deadline = later
      }
      await watch.wait(Math.min(o.pollIntervalMs, deadline - Date.now()), ctx.signal)
      const stored = await ctx.reread()
      if (stored !== undefined) {
        stats.servedByOthers++
        return stored
      }
    }
  }

  return {
    name: 'lock',
    fencing: o.fencing,

    async load(ctx, next) {
      // Listening from the start: an announcement while we claim or re-read is not lost.
      const watch = wake.watch(ctx.storeKey)
      try {
        return await loadOrWait(ctx, next, watch)
      } finally {
        watch.close()
      }
    },

    ready: () => wake.ready(),
    stats: () => ({ ...stats }),
    close: () => wake.close(),
  }
}

/**
 * The lock key of a store key, in the same Cluster hash slot as the data key where it can be: a
 * key with a hash tag keeps it; a key without one becomes the tag (`cacheguard:lock:{user:1}`).
 */
export function lockKey(prefix: string, storeKey: string): string {
  const open = storeKey.indexOf('{')
  const close = open === -1 ? -1 : storeKey.indexOf('}', open + 1)
  return close > open + 1 ? `${prefix}${storeKey}` : `${prefix}{${storeKey}}`
}

function resolve(options: LockGuardOptions) {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected the options to be an object, got ${describeValue(options)}`)
  }
  const o = { ...DEFAULTS, ...withoutUndefined(options) }
  if (typeof o.redlock?.acquire !== 'function') {
    throw new TypeError(
      'Expected `redlock` to be a Redlock instance, such as `new Redlock([redis])` from @sesamecare-oss/redlock',
    )
  }
  const lockTtlMs = duration('lockTtl', o.lockTtl, 30)
  const waitTimeoutMs = duration('waitTimeout', o.waitTimeout, 1)
  const pollIntervalMs = duration('pollInterval', o.pollInterval, 1)
  if (!['stale', 'load', 'throw'].includes(o.onWaitTimeout)) {
    throw new TypeError(
      `Expected \`onWaitTimeout\` to be 'stale', 'load' or 'throw', got ${describeValue(o.onWaitTimeout)}`,
    )
  }
  if ((o.redis === undefined) !== (o.subscriber === undefined)) {
    throw new TypeError(
      'Expected `redis` and `subscriber` together (the one publishes wake-ups, the other hears them), or neither',
    )
  }
  if (o.subscriber !== undefined && typeof o.subscriber.subscribe !== 'function') {
    throw new TypeError('Expected `subscriber` to be an ioredis connection: `redis.duplicate()`')
  }
  if (o.subscriber !== undefined && o.subscriber === o.redis) {
    throw new TypeError(
      'Expected `subscriber` to be a connection of its own (a subscribed connection can run nothing else): `redis.duplicate()`',
    )
  }
  if (o.redis !== undefined && typeof o.redis.publish !== 'function') {
    throw new TypeError('Expected `redis` to be an ioredis Redis or Cluster instance')
  }
  if (typeof o.channel !== 'string' || o.channel === '') {
    throw new TypeError(
      `Expected \`channel\` to be a non-empty string, got ${describeValue(o.channel)}`,
    )
  }
  if (typeof o.prefix !== 'string' || /[{}]/.test(o.prefix)) {
    throw new TypeError(
      `Expected \`prefix\` to be a string without braces (they would change the hash slot), got ${describeValue(o.prefix)}`,
    )
  }
  if (typeof o.fencing !== 'boolean') {
    throw new TypeError(`Expected \`fencing\` to be a boolean, got ${describeValue(o.fencing)}`)
  }
  return { ...o, redlock: o.redlock as RedlockLike, lockTtlMs, waitTimeoutMs, pollIntervalMs }
}

function duration(name: string, value: unknown, min: number): number {
  const ms = parseDuration(value)
  if (ms === undefined || ms < min) {
    throw new TypeError(
      `Expected \`${name}\` to be a duration of at least ${min} ms (milliseconds, or a string like '5s'), got ${describeValue(value)}`,
    )
  }
  return Math.round(ms)
}
