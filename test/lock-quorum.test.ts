import { type Cache, createCache, type Loader } from '@cacheguard/core'
import { type LockGuardOptions, lockGuard } from '@cacheguard/lock'
import { redisStore } from '@cacheguard/redis'
import { Redlock } from '@sesamecare-oss/redlock'
import { type Cluster, Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { connectRedis, uniquePrefix } from './helpers/redis.js'
import { type RedisCluster, startRedisCluster } from './helpers/redis-cluster.js'
import { type RedisServer, startRedisServer } from './helpers/redis-server.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const redis = connectRedis()
const prefix = uniquePrefix('quorum')
const cleanups: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
})

/** A client for a lock server that fails at once while the server is down, instead of queueing. */
function lockClient(url: string): Redis {
  const client = new Redis(url, {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => 100,
  })
  client.on('error', () => {})
  cleanups.push(async () => client.disconnect())
  return client
}

/** Two caches over one store, each with its own lock guard: two processes, as far as locks go. */
function pair(
  redlock: Redlock,
  store: Redis | Cluster,
  options: Partial<LockGuardOptions> = {},
): Cache[] {
  return [1, 2].map(() => {
    const guard = lockGuard({ redlock, prefix: `${prefix}lock:`, pollInterval: 20, ...options })
    cleanups.push(() => guard.close())
    return createCache({ store: redisStore(store, { prefix }), guards: [guard] })
  })
}

const counting = (calls: { n: number }, ms = 150): Loader<string> => {
  return async () => {
    calls.n++
    await sleep(ms)
    return 'loaded'
  }
}

describe('lock guard | Redlock quorum over 3 independent masters', () => {
  it('takes locks with one master down; with two down reports CG_LOCK_UNAVAILABLE and falls back', async () => {
    const servers: RedisServer[] = await Promise.all([1, 2, 3].map(() => startRedisServer()))
    cleanups.push(() => Promise.all(servers.map((server) => server.stop())))
    const redlock = new Redlock(servers.map((server) => lockClient(server.url)))

    await servers[0]!.stop()
    const calls = { n: 0 }
    const [a, b] = pair(redlock, redis)
    const both = await Promise.all([
      a!.getOrSet('one-down', counting(calls)),
      b!.getOrSet('one-down', counting(calls)),
    ])
    expect(both).toEqual(['loaded', 'loaded'])
    expect(calls.n).toBe(1)

    await servers[1]!.stop()
    const [strict] = pair(redlock, redis, { onWaitTimeout: 'throw' })
    await expect(strict!.getOrSet('two-down', counting(calls))).rejects.toMatchObject({
      code: 'CG_LOCK_UNAVAILABLE',
    })
    const [lenient] = pair(redlock, redis, { onWaitTimeout: 'load' })
    const reported: string[] = []
    lenient!.on('error', ({ error }) => reported.push(error.code))
    expect(await lenient!.getOrSet('two-down', counting(calls))).toBe('loaded')
    expect(reported).toEqual(['CG_LOCK_UNAVAILABLE'])
  })
})

describe('lock guard | faults', () => {
  it('settles every caller when Redis restarts during a load, with no unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    const server = await startRedisServer()
    cleanups.push(() => server.stop())
    const client = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 })
    client.on('error', () => {})
    cleanups.push(async () => client.disconnect())
    const subscriber = client.duplicate()
    subscriber.on('error', () => {})
    cleanups.push(async () => subscriber.disconnect())
    const guard = lockGuard({
      redlock: new Redlock([client]),
      lockTtl: 300,
      waitTimeout: 1000,
      redis: client,
      subscriber,
    })
    cleanups.push(() => guard.close())
    const cache = createCache({ store: redisStore(client), guards: [guard], storeTimeout: 200 })
    const calls = { n: 0 }
    const callers = Array.from({ length: 20 }, () =>
      cache.getOrSet('restart', counting(calls, 500)),
    )
    await sleep(100)
    await server.kill()
    await sleep(200)
    const restarted = await startRedisServer([], server.port)
    cleanups.push(() => restarted.stop())
    const settled = await Promise.allSettled(callers)
    // The holder's own callers get its value: the write failed, the value did not.
    expect(settled.every((s) => s.status === 'fulfilled' && s.value === 'loaded')).toBe(true)
    await sleep(100)
    expect(await cache.getOrSet('after', () => 'works again')).toBe('works again')
    expect(unhandled).toEqual([])
    process.off('unhandledRejection', onUnhandled)
  })
})

describe('lock guard | Redis Cluster', () => {
  let cluster: RedisCluster
  it('loads once across two caches on a 3-master Cluster, fenced in the key slot', async () => {
    cluster = await startRedisCluster(3)
    cleanups.push(() => cluster.stop())
    const client = cluster.connect()
    cleanups.push(() => client.quit())
    const calls = { n: 0 }
    const [a, b] = pair(new Redlock([client]), client)
    const fences: Array<number | undefined> = []
    const loader: Loader<string> = async (ctx) => {
      fences.push(ctx.fence)
      return counting(calls)(ctx)
    }
    const keys = ['user:1', 'app:{user:2}:profile', 'order:3']
    for (const key of keys) {
      expect(await Promise.all([a!.getOrSet(key, loader), b!.getOrSet(key, loader)])).toEqual([
        'loaded',
        'loaded',
      ])
    }
    expect(calls.n).toBe(keys.length)
    expect(fences.every((fence) => typeof fence === 'number' && fence > 0)).toBe(true)
  })
})
