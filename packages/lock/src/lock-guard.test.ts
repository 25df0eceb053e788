import { createCache, type Loader } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { Redlock } from '@sesamecare-oss/redlock'
import { afterAll, describe, expect, it } from 'vitest'
import { connectRedis, uniquePrefix } from '../../../test/helpers/redis.js'
import { type LockGuardOptions, lockGuard, lockKey } from './lock-guard.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A promise opened by hand: `opened` resolves once `open()` is called. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

const redis = connectRedis()
const subscribers = [connectRedis(), connectRedis(), connectRedis()]
const prefix = uniquePrefix('lock')
const redlock = new Redlock([redis])
const guards: Array<{ close(): Promise<void> }> = []
afterAll(async () => {
  await Promise.all(guards.map((guard) => guard.close()))
})

/**
 * Caches over one Redis, each with its own lock guard: as many single-flight maps as separate
 * processes would have, so only the lock stands between them.
 */
async function fleet(
  size: number,
  options: {
    [K in keyof Omit<LockGuardOptions, 'redlock'>]?: LockGuardOptions[K] | undefined
  } = {},
) {
  const members = Array.from({ length: size }, (_, i) => {
    const guard = lockGuard({
      redis,
      subscriber: subscribers[i]!,
      channel: `${prefix}wake`,
      prefix: `${prefix}lock:`,
      ...options,
      redlock,
    } as LockGuardOptions)
    guards.push(guard)
    // The tests count loads exactly: a store call held up by a busy machine must not time out
    // (the default is 500 ms) and turn into an extra load.
    const cache = createCache({
      store: redisStore(redis, { prefix }),
      guards: [guard],
      ttl: '1m',
      storeTimeout: '5s',
    })
    return { guard, cache }
  })
  await Promise.all(members.map(({ guard }) => guard.ready()))
  return members
}

/** Whether `key` is gone from Redis within 2 s, checked every 20 ms. */
async function gone(key: string): Promise<boolean> {
  const deadline = Date.now() + 2000
  while ((await redis.exists(key)) !== 0) {
    if (Date.now() > deadline) return false
    await sleep(20)
  }
  return true
}

let keys = 0
const freshKey = () => `k${keys++}`

describe('lock guard | one loader across caches', () => {
  it('runs the loader once for concurrent misses in four caches and serves all of them', async () => {
    const members = await fleet(3)
    const key = freshKey()
    let calls = 0
    const loader: Loader<{ n: number }> = async () => {
      calls++
      await sleep(150)
      return { n: 42 }
    }
    const results = await Promise.all(
      members.flatMap(({ cache }) => Array.from({ length: 20 }, () => cache.getOrSet(key, loader))),
    )
    expect(calls).toBe(1)
    expect(results.every((result) => result?.n === 42)).toBe(true)
    const stats = members.map(({ guard }) => guard.stats())
    expect(stats.reduce((sum, s) => sum + s.acquired, 0)).toBe(1)
    expect(stats.reduce((sum, s) => sum + s.servedByOthers, 0)).toBe(2)
    // Released: the key's lock is gone once the holder is done (its release may land just after).
    expect(await gone(lockKey(`${prefix}lock:`, key))).toBe(true)
  })

  it('hands a fencing token to the loader and stores it with the entry', async () => {
    const [member] = await fleet(1)
    const cache = member!.cache
    const key = freshKey()
    const seen: Array<number | undefined> = []
    await cache.getOrSet(key, ({ fence }: { fence?: number }) => {
      seen.push(fence)
      return 'v'
    })
    expect(seen[0]).toBeGreaterThan(0)
    expect(await redis.get(`${prefix}${key}`)).toMatch(
      new RegExp(`^cg2\\|(\\d+\\|){4}${seen[0]}\\|`),
    )
  })

  it('lets a waiter take over after the holder fails, and gives the error to the holder only', async () => {
    const [a, b] = await fleet(2)
    const key = freshKey()
    let calls = 0
    const failing = async () => {
      calls++
      await sleep(100)
      throw new Error('database down')
    }
    const first = a!.cache.getOrSet(key, failing)
    await sleep(20)
    const second = b!.cache.getOrSet(key, async () => {
      calls++
      return 'recovered'
    })
    await expect(first).rejects.toThrow('database down')
    expect(await second).toBe('recovered')
    expect(calls).toBe(2)
  })

  it("rejects with CG_LOCK_TIMEOUT at waitTimeout when onWaitTimeout is 'throw'", async () => {
    const [a, b] = await fleet(2, { waitTimeout: 150, onWaitTimeout: 'throw' })
    const key = freshKey()
    const slow = a!.cache.getOrSet(key, async () => {
      await sleep(600)
      return 'slow'
    })
    await sleep(30)
    const started = Date.now()
    await expect(b!.cache.getOrSet(key, () => 'never')).rejects.toMatchObject({
      code: 'CG_LOCK_TIMEOUT',
    })
    // Catches a hang, not a slow machine: the rejection itself shows it stopped waiting.
    expect(Date.now() - started).toBeLessThan(6000)
    expect(await slow).toBe('slow')
    expect(b!.guard.stats().timeouts).toBe(1)
  })

  it("loads anyway at waitTimeout when onWaitTimeout is 'load', and the later write wins", async () => {
    const [a, b] = await fleet(2, { waitTimeout: 100, onWaitTimeout: 'load' })
    const key = freshKey()
    // The holder loads until the impatient waiter has answered: no timing decides the order.
    const holderStarted = gate()
    const holderMayFinish = gate()
    const slow = a!.cache.getOrSet(key, async () => {
      holderStarted.open()
      await holderMayFinish.opened
      return 'from the holder'
    })
    await holderStarted.opened
    expect(await b!.cache.getOrSet(key, () => 'loaded anyway')).toBe('loaded anyway')
    holderMayFinish.open()
    // The holder's token is older than the one the impatient waiter took: its write is refused.
    expect(await slow).toBe('from the holder')
    expect(await b!.cache.get(key)).toBe('loaded anyway')
    expect(a!.cache.stats().fenced).toBe(1)
  })
})

describe('lock guard | dead holders', () => {
  // A holder that died leaves its lock until it expires; set by hand, it is one that nobody renews.
  const deadLock = (key: string, ttlMs: number) =>
    redis.set(lockKey(`${prefix}lock:`, key), 'a dead holder', 'PX', ttlMs)

  it('waits past waitTimeout for a holder that stopped renewing its lock, and one waiter takes over', async () => {
    const members = await fleet(3, { lockTtl: 600, waitTimeout: 100, onWaitTimeout: 'throw' })
    const key = freshKey()
    // Last renewed 350 ms ago: past its renewal (every 200 ms), so presumed dead at the deadline.
    await deadLock(key, 250)
    let calls = 0
    const loader = async () => {
      calls++
      await sleep(100)
      return 'after the dead holder'
    }
    const results = await Promise.all(members.map(({ cache }) => cache.getOrSet(key, loader)))
    expect(results).toEqual(members.map(() => 'after the dead holder'))
    expect(calls).toBe(1)
    const stats = members.map(({ guard }) => guard.stats())
    expect(stats.map((s) => s.timeouts)).toEqual([0, 0, 0])
    expect(stats.reduce((sum, s) => sum + s.servedByOthers, 0)).toBe(2)
  })

  it('starts a new waitTimeout when another waiter takes the lock over', async () => {
    const members = await fleet(3, { lockTtl: 600, waitTimeout: 1000, onWaitTimeout: 'throw' })
    const key = freshKey()
    // Expires before the waits end; whoever takes it over loads past the others' first deadline.
    await deadLock(key, 100)
    const started = Date.now()
    let calls = 0
    const loader = async () => {
      calls++
      await sleep(started + 1200 - Date.now())
      return 'from the new holder'
    }
    const results = await Promise.all(members.map(({ cache }) => cache.getOrSet(key, loader)))
    expect(results).toEqual(members.map(() => 'from the new holder'))
    expect(calls).toBe(1)
    expect(members.map(({ guard }) => guard.stats().timeouts)).toEqual([0, 0, 0])
  })

  it('still times out against a live holder that renews its lock', async () => {
    const [a, b] = await fleet(2, { lockTtl: 300, waitTimeout: 200, onWaitTimeout: 'throw' })
    const key = freshKey()
    const holderStarted = gate()
    const holderMayFinish = gate()
    const slow = a!.cache.getOrSet(key, async () => {
      holderStarted.open()
      await holderMayFinish.opened
      return 'slow'
    })
    await holderStarted.opened
    // Past several renewals (every 100 ms): the wait ends at waitTimeout, not at the load's end.
    await expect(b!.cache.getOrSet(key, () => 'never')).rejects.toMatchObject({
      code: 'CG_LOCK_TIMEOUT',
    })
    holderMayFinish.open()
    expect(await slow).toBe('slow')
    expect(b!.guard.stats().timeouts).toBe(1)
  })
})

describe('lock guard | lost locks and fencing', () => {
  it('aborts the loader when its lock is lost and refuses its late write', async () => {
    const [a, b] = await fleet(2, { lockTtl: 300 })
    const key = freshKey()
    let aborted: unknown
    const holder = a!.cache.getOrSet(key, async ({ signal }) => {
      signal.addEventListener('abort', () => {
        aborted = signal.reason
      })
      // Another process takes the key once the lock is gone: delete it, as an expiry would.
      await redis.del(lockKey(`${prefix}lock:`, key))
      await sleep(50)
      expect(await b!.cache.getOrSet(key, () => 'newer')).toBe('newer')
      await sleep(200)
      return 'older'
    })
    expect(await holder).toBe('older')
    expect((aborted as { code?: string })?.code).toBe('CG_LOCK_LOST')
    expect(await b!.cache.get(key)).toBe('newer')
    expect(a!.guard.stats().lost).toBe(1)
    expect(a!.cache.stats().fenced).toBe(1)
  })

  it('lets a set made during a load elsewhere win over that load', async () => {
    const [a, b] = await fleet(2)
    const key = freshKey()
    const loading = a!.cache.getOrSet(key, async () => {
      await sleep(150)
      return 'loaded before the set'
    })
    await sleep(50)
    await b!.cache.set(key, 'set meanwhile')
    await loading
    expect(await a!.cache.get(key)).toBe('set meanwhile')
  })
})

describe('lock guard | refresh and options', () => {
  it('skips a background refresh while another cache holds the lock', async () => {
    const [a, b] = await fleet(2)
    const key = freshKey()
    const grace = { ttl: 50, grace: '1m' } as const
    await a!.cache.set(key, 'old', grace)
    await sleep(80)
    let calls = 0
    // a's refresh holds the lock until b has been answered and has skipped its own refresh.
    const refreshStarted = gate()
    const refreshMayFinish = gate()
    const slowRefresh = async () => {
      calls++
      refreshStarted.open()
      await refreshMayFinish.opened
      return 'new'
    }
    expect(await a!.cache.getOrSet(key, slowRefresh, grace)).toBe('old')
    await refreshStarted.opened
    expect(await b!.cache.getOrSet(key, slowRefresh, grace)).toBe('old')
    const deadline = Date.now() + 5000
    while (b!.guard.stats().refreshesSkipped === 0 && Date.now() < deadline) await sleep(10)
    refreshMayFinish.open()
    while ((await b!.cache.get(key)) !== 'new' && Date.now() < deadline) await sleep(10)
    expect(calls).toBe(1)
    expect(b!.guard.stats().refreshesSkipped).toBe(1)
    expect(await b!.cache.getOrSet(key, slowRefresh, grace)).toBe('new')
  })

  it('polls when it has no subscriber, and still answers from the holder', async () => {
    const [a, b] = await fleet(2, { redis: undefined, subscriber: undefined, pollInterval: 20 })
    const key = freshKey()
    let calls = 0
    const loader = async () => {
      calls++
      await sleep(100)
      return 7
    }
    const results = await Promise.all([
      a!.cache.getOrSet(key, loader),
      b!.cache.getOrSet(key, loader),
    ])
    expect(results).toEqual([7, 7])
    expect(calls).toBe(1)
  })

  it.each([
    ['no redlock', {}, 'Expected `redlock` to be a Redlock instance'],
    ['lockTtl 0', { redlock, lockTtl: 0 }, 'Expected `lockTtl` to be a duration of at least 30 ms'],
    [
      'waitTimeout soon',
      { redlock, waitTimeout: 'soon' },
      'Expected `waitTimeout` to be a duration',
    ],
    [
      'onWaitTimeout wait',
      { redlock, onWaitTimeout: 'wait' },
      "Expected `onWaitTimeout` to be 'stale', 'load' or 'throw'",
    ],
    ['redis alone', { redlock, redis }, 'Expected `redis` and `subscriber` together'],
    ['one connection twice', { redlock, redis, subscriber: redis }, 'a connection of its own'],
    ['prefix with braces', { redlock, prefix: 'a{b}' }, 'without braces'],
  ])('rejects %s with a TypeError that says what was expected', (_, options, message) => {
    expect(() => lockGuard(options as LockGuardOptions)).toThrow(TypeError)
    expect(() => lockGuard(options as LockGuardOptions)).toThrow(message)
  })

  it('keeps a hash tag, or makes the key its tag', () => {
    expect(lockKey('l:', 'user:1')).toBe('l:{user:1}')
    expect(lockKey('l:', 'app:{user:1}:profile')).toBe('l:app:{user:1}:profile')
    expect(lockKey('l:', 'a{}b')).toBe('l:{a{}b}')
  })
})
