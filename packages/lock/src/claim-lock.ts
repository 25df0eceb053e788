import type { Cluster, Redis } from 'ioredis'

/**
 * The part of a Redlock instance (`@sesamecare-oss/redlock`, or redlock 5) cacheguard uses. Typed
 * by shape: the Redlock is the user's, and so is its version.
 */
export interface RedlockLike {
  acquire(
    resources: string[],
    duration: number,
    settings?: { retryCount?: number },
  ): Promise<HeldLock>
  listenerCount?(event: 'error'): number
  on?(event: 'error', listener: (error: unknown) => void): unknown
  /** The lock servers: a waiter reads a lock there to tell a live holder from a dead one. */
  readonly clients?: Iterable<Redis | Cluster>
  /** The database Redlock locks in (its scripts SELECT it). */
  readonly settings?: { readonly db?: number }
}

/** A lock returned by `RedlockLike.acquire`. */
export interface HeldLock {
  extend(duration: number): Promise<HeldLock>
  release(): Promise<unknown>
}

/** How a lock attempt ended. */
export type Claim = { held: HeldLock } | { taken: true } | { error: unknown }

/** How long the votes of a failed attempt may keep us waiting once a quorum said no. */
const VOTES_GRACE_MS = 50

/**
 * Takes `resource` once, without retrying: another holder means `taken`, servers that fail or do
 * not answer within `limitMs` mean `error`. Redlock's own retries are not used: a waiter retries
 * on its own schedule, woken when the holder is done, so nothing sleeps through a release.
 *
 * @example
 * const claimed = await claimLock(redlock, 'cacheguard:lock:{user:1}', 5000, 1000)
 * if ('held' in claimed) try { await work() } finally { await claimed.held.release() }
 */
export async function claimLock(
  redlock: RedlockLike,
  resource: string,
  ttlMs: number,
  limitMs: number = Number.POSITIVE_INFINITY,
): Promise<Claim> {
  const acquiring = redlock.acquire([resource], ttlMs, { retryCount: 0 }).then(
    (held): Claim => ({ held }),
    (error: unknown) => classify(error),
  )
  if (!Number.isFinite(limitMs)) return acquiring
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, Math.max(1, limitMs), undefined)
  })
  const first = await Promise.race([acquiring, late])
  clearTimeout(timer)
  if (first !== undefined) return first
  // A lock taken after we stopped waiting would be held for nothing until it expired.
  void acquiring.then((late) => ('held' in late ? late.held.release().catch(() => {}) : undefined))
  return { error: new Error(`the lock servers did not answer within ${Math.round(limitMs)} ms`) }
}

/**
 * Redlock rejects with an `ExecutionError` whether the resource is held or the servers failed; the
 * votes against tell the two apart. One `ResourceLockedError` vote means another holder (a quorum
 * of servers could not all have failed the same way by chance). Votes still missing after a short
 * grace come from servers that do not answer while a quorum did: counted as held, so a waiter
 * retries rather than loading beside a holder.
 */
async function classify(error: unknown): Promise<Claim> {
  const attempts = (error as { attempts?: unknown })?.attempts
  if (!Array.isArray(attempts) || attempts.length === 0) return { error }
  let timer: NodeJS.Timeout | undefined
  const pending = new Promise<'pending'>((resolve) => {
    timer = setTimeout(resolve, VOTES_GRACE_MS, 'pending')
  })
  try {
    const stats = await Promise.race([attempts.at(-1) as Promise<unknown>, pending])
    if (stats === 'pending') return { taken: true }
    const votes = [
      ...((stats as { votesAgainst?: Map<unknown, Error> })?.votesAgainst?.values() ?? []),
    ]
    return votes.some((vote) => vote?.name === 'ResourceLockedError') ? { taken: true } : { error }
  } catch {
    return { error }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Redlock emits `error` for every vote against, a held resource included; an EventEmitter with no
 * `error` listener throws that, and inside Redlock it surfaces as an unhandled rejection. A lock
 * that is simply taken must not crash the process, so where the user has not listened, we do.
 * The listener only absorbs: the failures that matter reach us as rejections and are reported.
 */
export function absorbErrorEvents(redlock: RedlockLike): void {
  if (typeof redlock.on !== 'function' || (redlock.listenerCount?.('error') ?? 0) > 0) return
  redlock.on('error', () => {})
}
