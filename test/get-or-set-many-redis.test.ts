// getOrSetMany over a real Redis and across real processes (issue 16): a list page never
// stampedes. Every key is loaded once per process, and once per fleet with lockGuard.
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { bloomGuard, redisBloom, seedBloom } from '@cacheguard/bloom'
import type { LockGuardStats } from '@cacheguard/lock'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { type CacheEvents, type CacheStore, createCache, redisStore } from './helpers/packages.js'
import { connectRedis, redisUrl, uniquePrefix, unreachableRedis } from './helpers/redis.js'
import { seededRandom } from './helpers/seeded-random.js'

const redis = connectRedis()
const prefix = uniquePrefix('get-or-set-many')
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

/** `calls` lists of `size` distinct keys out of `pool`, from a seeded PRNG. */
function randomCalls(seed: number, calls: number, size: number, pool: number): string[][] {
  const random = seededRandom(seed)
  return Array.from({ length: calls }, () => {
    const keys = new Set<string>()
    while (keys.size < size) keys.add(`item:${Math.floor(random() * pool)}`)
    return [...keys]
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('getOrSetMany over Redis', () => {
  it('loads every key once for 100 concurrent calls of 100 random keys out of 1,000, each answered in order', async () => {
    const commands: string[] = []
    const inner = redisStore(redis, { prefix: `${prefix}hundred:` })
    const store: CacheStore = {
      ...inner,
      get: (key) => {
        commands.push('get')
        return inner.get(key)
      },
      getMany: (keys) => {
        commands.push(`getMany ${keys.length}`)
        return inner.getMany!(keys)
      },
    }
    const cache = createCache({ store })
    const loads = new Map<string, number>()
    const loadMany = async (keys: string[]) => {
      for (const key of keys) loads.set(key, (loads.get(key) ?? 0) + 1)
      await sleep(20)
      return new Map(keys.map((key) => [key, { key }]))
    }
    // One call alone first: its 100 keys are read with one command.
    const [first, ...others] = randomCalls(1, 101, 100, 1000)
    expect(await cache.getOrSetMany(first!, loadMany)).toEqual(first!.map((key) => ({ key })))
    expect(commands).toEqual(['getMany 100'])

    const answers = await Promise.all(others.map((keys) => cache.getOrSetMany(keys, loadMany)))
    for (const [i, keys] of others.entries())
      expect(answers[i]).toEqual(keys.map((key) => ({ key })))
    const asked = new Set([first!, ...others].flat())
    expect([...loads.keys()].sort()).toEqual([...asked].sort())
    expect([...loads.values()].every((count) => count === 1)).toBe(true)
  })

  it('reads a key once for concurrent calls that share it, and loads it once', async () => {
    const inner = redisStore(redis, { prefix: `${prefix}shared:` })
    const reads: string[][] = []
    const store: CacheStore = {
      ...inner,
      getMany: (keys) => {
        reads.push([...keys])
        return inner.getMany!(keys)
      },
    }
    const cache = createCache({ store })
    await cache.set('b', 'cached b')
    const asked: string[][] = []
    const loadMany = async (keys: string[]) => {
      asked.push(keys)
      return new Map(keys.map((key) => [key, `loaded ${key}`]))
    }
    const [first, second] = await Promise.all([
      cache.getOrSetMany(['a', 'b', 'c'], loadMany),
      cache.getOrSetMany(['b', 'c', 'd'], loadMany),
    ])
    expect(first).toEqual(['loaded a', 'cached b', 'loaded c'])
    expect(second).toEqual(['cached b', 'loaded c', 'loaded d'])
    // The second call read only 'd': 'b' and 'c' were being read by the first.
    expect(reads).toEqual([['a', 'b', 'c'], ['d']])
    expect(asked.map((keys) => [...keys].sort())).toEqual([['a', 'c', 'd']])
  })

  it('answers a batch of present, missing, stale, corrupt and Bloom-blocked keys, asking loadMany only for what it must', async () => {
    const keyPrefix = `${prefix}mixed:`
    const filter = redisBloom(redis, { key: 'items', capacity: 1000, prefix: `${keyPrefix}bloom:` })
    await seedBloom(filter, ['present', 'missing', 'stale', 'corrupt'])
    const cache = createCache({
      store: redisStore(redis, { prefix: keyPrefix }),
      guards: [bloomGuard({ filter })],
      grace: '1m',
      jitter: 0,
    })
    const errors: CacheEvents['error'][] = []
    cache.on('error', (event) => errors.push(event))
    await cache.set('present', 'cached present')
    await cache.set('stale', 'old stale', { ttl: 20 })
    await redis.set(`${keyPrefix}corrupt`, 'not an entry')
    await sleep(40)

    const asked: string[][] = []
    const loadMany = async (keys: string[]) => {
      asked.push(keys)
      return new Map(keys.map((key) => [key, `loaded ${key}`]))
    }
    const values = await cache.getOrSetMany(
      ['present', 'missing', 'stale', 'corrupt', 'blocked'],
      loadMany,
    )
    expect(values).toEqual([
      'cached present',
      'loaded missing',
      'old stale',
      'loaded corrupt',
      undefined,
    ])
    // The stale key is refreshed in the background; the blocked and present keys are never asked.
    // (Usually in one call with the loads; each key's Bloom check is a round trip of its own, so
    // on a loaded machine their replies may come in different turns, and the calls with them.)
    await vi.waitFor(async () => expect(await cache.get('stale')).toBe('loaded stale'))
    expect(asked.flat().sort()).toEqual(['corrupt', 'missing', 'stale'])
    expect(errors.map((e) => [e.key, e.error.code])).toEqual([['corrupt', 'CG_CORRUPT_ENTRY']])
    expect(cache.stats()).toMatchObject({ staleHits: 1, blocked: 1, corrupt: 1 })
  })

  it('checks tagged entries against their records: after deleteTags and clear, the covered keys are loaded again', async () => {
    const cache = createCache({
      store: redisStore(redis, { prefix: `${prefix}tagged:` }),
      clearable: true,
    })
    const asked: string[][] = []
    const loadMany = async (keys: string[]) => {
      asked.push(keys)
      return new Map(keys.map((key) => [key, `${key} #${asked.length}`]))
    }
    const keys = ['t1', 't2', 't3']
    const tagsOf = { tags: ['team:7'] }
    expect(await cache.getOrSetMany(keys, loadMany, tagsOf)).toEqual(['t1 #1', 't2 #1', 't3 #1'])
    await cache.set('t2', 't2 set', { tags: ['team:8'] })
    await cache.deleteTags(['team:7'])
    // t2 was rewritten under another tag: still a hit; t1 and t3 are covered and loaded again.
    expect(await cache.getOrSetMany(keys, loadMany, tagsOf)).toEqual(['t1 #2', 't2 set', 't3 #2'])
    expect(asked).toEqual([keys, ['t1', 't3']])
    await cache.clear()
    expect(await cache.getOrSetMany(keys, loadMany)).toEqual(['t1 #3', 't2 #3', 't3 #3'])
  })

  it('reads every key as a miss when Redis does not answer: loaded, and the failure reported', async () => {
    const down = unreachableRedis({ enableOfflineQueue: false })
    const cache = createCache({ store: redisStore(down), breaker: false })
    const errors: string[] = []
    cache.on('error', ({ operation, key, error }) =>
      errors.push(`${operation} ${key} ${error.code}`),
    )
    const values = await cache.getOrSetMany(['a', 'b'], (keys) =>
      Object.fromEntries(keys.map((key) => [key, key.toUpperCase()])),
    )
    expect(values).toEqual(['A', 'B'])
    expect(errors.filter((e) => e.startsWith('read'))).toEqual([
      'read a CG_STORE',
      'read b CG_STORE',
    ])
    down.disconnect()
  })

  it('rejects with a failing loadMany, and leaves stale keys in Redis, served within grace', async () => {
    const keyPrefix = `${prefix}failing:`
    const cache = createCache({
      store: redisStore(redis, { prefix: keyPrefix }),
      grace: '1m',
      ttl: 20,
      jitter: 0,
    })
    await cache.getOrSetMany(['a', 'b'], (keys) => new Map(keys.map((key) => [key, `v${key}`])))
    await sleep(40)
    const failing = async () => {
      throw new Error('database down')
    }
    expect(await cache.getOrSetMany(['a', 'b'], failing)).toEqual(['va', 'vb'])
    await expect(cache.getOrSetMany(['a', 'c'], failing)).rejects.toThrow('database down')
    await sleep(20)
    // The failed refreshes wrote nothing: the stale entries are still there, and served.
    expect(await cache.getOrSetMany(['b', 'a'], failing)).toEqual(['vb', 'va'])
    expect(await redis.exists(`${keyPrefix}a`, `${keyPrefix}b`, `${keyPrefix}c`)).toBe(2)
  })
})

const CHILD = fileURLToPath(new URL('./fixtures/many-child.ts', import.meta.url))
const children = new Set<ChildProcess>()
afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
})

interface ChildDone {
  wrong: number
  errors: string[]
  loadManyCalls: number
  lock: LockGuardStats
}

/** Forks `fixtures/many-child.ts` (its own cache and lockGuard); resolves once it is subscribed. */
async function spawnChild(childPrefix: string) {
  const child = fork(CHILD, [redisUrl(), childPrefix], {
    execArgv: ['--import', 'tsx', '--conditions=cacheguard-source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  children.add(child)
  child.on('exit', () => children.delete(child))
  const next = <T>(field: string) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${field} from the child`)), 60_000)
      const onMessage = (message: Record<string, unknown>) => {
        if (message.failed) reject(new Error(String(message.failed)))
        if (!(field in message)) return
        clearTimeout(timer)
        child.off('message', onMessage)
        resolve(message[field] as T)
      }
      child.on('message', onMessage)
      child.once('exit', () => reject(new Error(`the child exited before sending ${field}`)))
    })
  await next('ready')
  return {
    run(calls: string[][], loaderMs: number, startAt: number) {
      const done = next<ChildDone>('done')
      child.send({ run: { calls, loaderMs, startAt } })
      return done
    },
    exit: () =>
      new Promise((resolve) => {
        child.once('exit', resolve)
        child.send({ exit: true })
      }),
  }
}

describe('getOrSetMany across processes', () => {
  it('loads every key once for the fleet: 4 processes x 100 concurrent calls of 100 random keys, with lockGuard', async () => {
    const fleetPrefix = `${prefix}fleet:`
    const fleet = await Promise.all([1, 2, 3, 4].map(() => spawnChild(fleetPrefix)))
    try {
      const calls = [1, 2, 3, 4].map((seed) => randomCalls(seed * 7919, 100, 100, 1000))
      const startAt = Date.now() + 500
      const done = await Promise.all(fleet.map((child, i) => child.run(calls[i]!, 50, startAt)))
      expect(done.flatMap((d) => d.errors)).toEqual([])
      expect(done.map((d) => d.wrong)).toEqual([0, 0, 0, 0])
      const loads = await redis.hgetall(`${fleetPrefix}loads`)
      const asked = new Set(calls.flat(2))
      expect(Object.keys(loads).sort()).toEqual([...asked].sort())
      // A wait that reached waitTimeout would load beside its holder: none may have.
      expect(done.map((d) => d.lock.timeouts + d.lock.unavailable)).toEqual([0, 0, 0, 0])
      const twice = Object.entries(loads).filter(([, count]) => count !== '1')
      expect(twice).toEqual([])
      console.log(
        `fleet: ${asked.size} keys, each loaded once, in ${done.map((d) => d.loadManyCalls).join(' + ')} loadMany calls`,
      )
    } finally {
      await Promise.all(fleet.map((child) => child.exit()))
    }
  }, 120_000)
})
