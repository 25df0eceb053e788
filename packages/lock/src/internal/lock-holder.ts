import type { RedlockLike } from '../claim-lock.js'

/**
 * What a waiter sees of a lock: its holder (Redlock's random value for that lock, and how long the
 * lock has left), `'free'`, or `undefined` when it cannot tell (no lock server answered, or the
 * Redlock does not show its clients).
 */
export type Sighting = { value: string; ttlMs: number } | 'free' | undefined

// Redlock runs its scripts in the database of its `db` setting (the SELECT does not outlast the
// script): look where it locks. An empty reply means no lock; GET and PTTL in one script see one
// state of the key.
const LOOK = `
redis.pcall("SELECT", tonumber(ARGV[1]))
local value = redis.call("GET", KEYS[1])
if not value then return {} end
return { value, redis.call("PTTL", KEYS[1]) }
`

/**
 * Reads `resource` on every lock server, each within `limitMs`. Over several masters, the holder is
 * the value most servers hold (a failed attempt can leave its value on a minority for a moment),
 * with the longest time left among them: a renewal that reached any server is a sign of life.
 *
 * @example
 * const seen = await sightLock(redlock, 'cacheguard:lock:{user:1}', 1000)
 * if (seen !== undefined && seen !== 'free') console.log(seen.value, seen.ttlMs)
 */
export async function sightLock(
  redlock: RedlockLike,
  resource: string,
  limitMs: number,
): Promise<Sighting> {
  const clients = [...(redlock.clients ?? [])]
  if (clients.length === 0) return undefined
  const db = redlock.settings?.db ?? 0
  const replies = await Promise.all(
    clients.map((client) =>
      within(limitMs, client.eval(LOOK, 1, resource, db)).catch(() => undefined),
    ),
  )
  const held = new Map<string, { servers: number; ttlMs: number }>()
  let answered = false
  for (const reply of replies) {
    if (!Array.isArray(reply)) continue
    answered = true
    const [value, ttlMs] = reply as [unknown, unknown]
    // A key without an expiry is not a Redlock lock: nothing to judge its holder by.
    if (typeof value !== 'string' || typeof ttlMs !== 'number' || ttlMs < 0) continue
    const seen = held.get(value)
    held.set(value, {
      servers: (seen?.servers ?? 0) + 1,
      ttlMs: Math.max(seen?.ttlMs ?? 0, ttlMs),
    })
  }
  if (!answered) return undefined
  let best: { value: string; ttlMs: number; servers: number } | undefined
  for (const [value, { servers, ttlMs }] of held) {
    if (
      best === undefined ||
      servers > best.servers ||
      (servers === best.servers && ttlMs > best.ttlMs)
    ) {
      best = { value, ttlMs, servers }
    }
  }
  return best === undefined ? 'free' : { value: best.value, ttlMs: best.ttlMs }
}

/** One waiter's view of the holder it waits for: tells a real timeout from a dead holder. */
export interface HolderWatch {
  /** Notes whom the wait is for; called when the waiter first finds the lock taken. */
  note(): Promise<void>
  /** At the waiter's deadline: a new deadline to wait until, or `undefined` for a real timeout. */
  judge(): Promise<number | undefined>
}

/**
 * A dead holder's lock stands until it expires, up to `lockTtl` after its last renewal: a wait
 * that simply ran out against it would send every waiter to the loader at once (issue 13). So at
 * its deadline a waiter looks at the lock. A holder that renewed it within the renewal period is
 * alive: a real timeout. One that missed its renewal is presumed dead: the waiter waits for its
 * lock to expire, competing for it as it polls. A new holder (a waiter that took over) starts a
 * new `waitTimeout`. One waiter wins the lock and loads; the others are served its value.
 *
 * @example
 * const holder = watchHolder(redlock, resource, { lockTtlMs, waitTimeoutMs, pollIntervalMs })
 * await holder.note()
 * const later = await holder.judge() // at the deadline: undefined means time out
 */
export function watchHolder(
  redlock: RedlockLike,
  resource: string,
  timing: { lockTtlMs: number; waitTimeoutMs: number; pollIntervalMs: number },
): HolderWatch {
  const { lockTtlMs, waitTimeoutMs, pollIntervalMs } = timing
  // A lock server that cannot answer within a renewal period could not keep a holder's lock either.
  const look = () => sightLock(redlock, resource, lockTtlMs / 3)
  // The holder this wait is for: its lock value, `null` for a lock seen free, `undefined` unseen.
  let holder: string | null | undefined
  // Past the deadline with no live holder: the latest the wait may last before it is a timeout.
  let overtimeEnd: number | undefined
  return {
    async note() {
      const seen = await look()
      holder = seen === undefined ? undefined : seen === 'free' ? null : seen.value
    },
    async judge() {
      if (overtimeEnd !== undefined && Date.now() >= overtimeEnd) return undefined
      const seen = await look()
      // Nothing to judge by (no lock server answered, or a Redlock without `clients`).
      if (seen === undefined) return undefined
      if (seen !== 'free' && holder !== undefined && seen.value !== holder) {
        holder = seen.value
        overtimeEnd = undefined
        return Date.now() + waitTimeoutMs
      }
      // Whoever takes a lock seen free is a new holder. A holder first seen only now (the lock
      // could not be read when the wait began) is taken for the one we waited for.
      holder = seen === 'free' ? null : seen.value
      // A live holder renews its lock every lockTtl / 3; another sixth allows for a busy machine.
      if (seen !== 'free' && seen.ttlMs >= lockTtlMs / 2) return undefined
      // A holder that missed its renewal keeps the key no longer than its lock lives; meanwhile
      // the waiter polls and claims as before, and looks again once the lock has expired. Bounded
      // by lockTtl past that, so a lock that cannot be read right never keeps a waiter long.
      const expiresIn = seen === 'free' ? 0 : seen.ttlMs
      overtimeEnd ??= Date.now() + expiresIn + lockTtlMs
      return Math.min(Date.now() + expiresIn + Math.max(pollIntervalMs, lockTtlMs / 3), overtimeEnd)
    },
  }
}

function within<T>(ms: number, promise: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, Math.max(1, ms), undefined)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}
