import { afterAll, describe, expect, it } from 'vitest'
import { type LockChild, spawnLockChild } from './helpers/lock-children.js'
import { connectRedis, uniquePrefix } from './helpers/redis.js'

const redis = connectRedis()
const prefix = uniquePrefix('deadholder')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

/** Polls `check` every 50 ms until it returns a value, or fails after `ms`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 30_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await sleep(50)
  }
}

/**
 * Four processes on lockGuard's default options: the first takes the key and its loader never
 * ends; the other three wait for it; the first is SIGKILLed once `killWhen` resolves. Returns the
 * loads of the fleet and what the three survivors got.
 */
async function killHolderMidLoad(key: string, killWhen: (lock: string) => Promise<unknown>) {
  const fleet: LockChild[] = await Promise.all([1, 2, 3, 4].map(() => spawnLockChild(prefix)))
  const [holder, ...waiters] = fleet as [LockChild, ...LockChild[]]
  try {
    const loading = holder.loading()
    // A loader far longer than any timeout: only the kill ends it.
    holder.run(key, 1, 600_000, Date.now(), 600_000).catch(() => {})
    await loading
    const done = Promise.all(waiters.map((waiter) => waiter.run(key, 20, 200, Date.now(), 90_000)))
    const lock = await until(
      'the lock key',
      async () => (await redis.keys(`${prefix}lock:*${key}*`))[0],
    )
    await killWhen(lock)
    holder.process.kill('SIGKILL')
    const results = await done
    const loads = Number(await redis.get(`${prefix}loads:${key}`))
    console.log(
      `${key}: ${loads} loads in the fleet, waiter stats ${JSON.stringify(results.map((r) => r.stats))}`,
    )
    return { loads, results, pids: waiters.map((waiter) => `v from ${waiter.process.pid}`) }
  } finally {
    for (const child of fleet) child.exit()
  }
}

function expectOneMoreLoad({
  loads,
  results,
  pids,
}: Awaited<ReturnType<typeof killHolderMidLoad>>) {
  expect(results.flatMap((r) => r.errors)).toEqual([])
  expect(results.map((r) => r.stats?.timeouts)).toEqual(pids.map(() => 0))
  // The dead holder's load, and one more by whichever waiter took the lock over.
  expect(loads).toBeLessThanOrEqual(2)
  // Every surviving process was served, all with the one value the new holder loaded.
  const values = results.flatMap((r) => r.values)
  expect(values).toHaveLength(pids.length)
  expect(new Set(values).size).toBe(1)
  expect(pids).toContain(values[0])
}

// Issue 13: with lockTtl = waitTimeout (both 5 s by default), a holder killed mid-load left a lock
// that expired just as every waiter's wait ended, and every process loaded (3 of 3 in a probe).
describe('lock guard | holder killed mid-load', () => {
  it('costs at most one more load in the fleet with default options', async () => {
    // Killed just after the holder renews its lock (every lockTtl / 3): its dead lock then
    // outlives the waiters' waitTimeout, the worst case for them.
    const outcome = await killHolderMidLoad('killed-after-renewal', async (lock) => {
      let before = await redis.pttl(lock)
      await until('a renewal of the lock', async () => {
        const now = await redis.pttl(lock)
        const renewed = now > before + 300
        before = now
        return renewed ? true : undefined
      })
    })
    expectOneMoreLoad(outcome)
  }, 180_000)

  it('costs at most one more load when the dead lock expires as the waits end', async () => {
    // Killed at once, before its first renewal: its lock expires lockTtl after it was taken, about
    // when the waiters' waitTimeout ends (the probe of issue 13).
    const outcome = await killHolderMidLoad('killed-at-once', async () => {})
    expectOneMoreLoad(outcome)
  }, 180_000)
})
