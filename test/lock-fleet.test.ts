import { createCache } from '@cacheguard/core'
import { lockGuard } from '@cacheguard/lock'
import { redisStore } from '@cacheguard/redis'
import { Redlock } from '@sesamecare-oss/redlock'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LockChildOptions, spawnLockChild } from './helpers/lock-children.js'
import { connectRedis, uniquePrefix } from './helpers/redis.js'

const redis = connectRedis()
const prefix = uniquePrefix('lockfleet')

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

/** A child process with its own cache (and lock guard), as another instance of the app would be. */
const spawnChild = (options: LockChildOptions) => spawnLockChild(prefix, options)

const loads = async (key: string) => Number(await redis.get(`${prefix}loads:${key}`))
const p99 = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)]

describe('lock guard | stampede across processes', () => {
  type Child = Awaited<ReturnType<typeof spawnChild>>
  let withLock: Child[] = []
  let withoutLock: Child[] = []
  // Eight tsx processes take a while to start on a loaded two-core machine: not the test's time.
  beforeAll(async () => {
    withLock = await Promise.all([1, 2, 3, 4].map(() => spawnChild({})))
    withoutLock = await Promise.all([1, 2, 3, 4].map(() => spawnChild({ lock: false })))
  }, 90_000)
  afterAll(() => {
    for (const child of [...withLock, ...withoutLock]) child.exit()
  })

  it('loads a hot key once for 4 processes x 250 callers with lockGuard, once per process without', async () => {
    // Without the lock, each process loads only if its callers come before another process has
    // stored the value: a 1 s loader, and a start 1 s ahead, leave room for a late process.
    for (const [fleet, key, expected, loaderMs, ahead] of [
      [withoutLock, 'hot-unguarded', 4, 1000, 1000],
      [withLock, 'hot-guarded', 1, 200, 300],
    ] as const) {
      const startAt = Date.now() + ahead
      const done = await Promise.all(fleet.map((child) => child.run(key, 250, loaderMs, startAt)))
      expect(done.flatMap((d) => d.errors)).toEqual([])
      expect(done.flatMap((d) => d.latencies)).toHaveLength(1000)
      expect(await loads(key)).toBe(expected)
      // One value for everyone: the one the single loader wrote.
      expect(new Set(done.flatMap((d) => d.values)).size).toBe(expected)
      const latencies = done.flatMap((d) => d.latencies)
      console.log(
        `${key}: ${expected} load(s), caller p99 ${p99(latencies)} ms for a ${loaderMs} ms loader`,
      )
      // Generous bound: nobody waited for a second loader or a poll timeout.
      expect(Math.max(...latencies)).toBeLessThan(loaderMs + 2800)
    }
  })

  it('lets a waiter load after lockTtl when the holder is SIGKILLed mid-load', async () => {
    const holder = await spawnChild({ lockTtl: 600 })
    const waiter = await spawnChild({ lockTtl: 600, waitTimeout: 5000 })
    try {
      const loading = holder.loading()
      holder.run('killed', 1, 10_000).catch(() => {})
      await loading
      const done = waiter.run('killed', 20, 100)
      await new Promise((resolve) => setTimeout(resolve, 100))
      holder.process.kill('SIGKILL')
      const { latencies, values, errors, stats } = await done
      expect(errors).toEqual([])
      expect(values).toEqual([`v from ${waiter.process.pid}`])
      // Took over once the dead holder's lock expired, well before its own waitTimeout.
      expect(Math.max(...latencies)).toBeLessThan(5000)
      expect(stats?.acquired).toBe(1)
      expect(await loads('killed')).toBe(2)
    } finally {
      waiter.exit()
    }
  }, 60_000)

  it('refuses the late write of a holder paused (SIGSTOP) past its lock TTL', async () => {
    const paused = await spawnChild({ lockTtl: 300 })
    const guard = lockGuard({
      redlock: new Redlock([redis]),
      prefix: `${prefix}lock:`,
      waitTimeout: 5000,
    })
    const cache = createCache({ store: redisStore(redis, { prefix }), guards: [guard] })
    try {
      const loading = paused.loading()
      // A 3 s loader: still running when the parent stops it, even if it reads `loading` late.
      const late = paused.run('fenced', 1, 3000)
      const { fence: oldFence } = await loading
      paused.process.kill('SIGSTOP')
      // Stopped, it cannot extend its lock: after lockTtl the lock is free for the next holder.
      let newFence: number | undefined
      const value = await cache.getOrSet('fenced', ({ fence }) => {
        newFence = fence
        return 'newer'
      })
      expect(value).toBe('newer')
      expect(newFence).toBeGreaterThan(Number(oldFence))
      paused.process.kill('SIGCONT')
      const done = await late
      // Its loader ignored the abort and returned; the store refused its older token.
      expect(done.values).toEqual([`v from ${paused.process.pid}`])
      expect(done.fenced).toBe(1)
      expect(done.stats?.lost).toBe(1)
      expect(await cache.get('fenced')).toBe('newer')
    } finally {
      paused.process.kill('SIGCONT')
      paused.exit()
      await guard.close()
    }
  }, 60_000)
})
