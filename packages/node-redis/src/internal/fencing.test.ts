import { createHash } from 'node:crypto'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CacheStore, createCache, redisStore } from '../../../../test/helpers/packages.js'
import { connectRedis } from '../../../../test/helpers/redis.js'
import {
  freePort,
  type RedisServer,
  startRedisServer,
} from '../../../../test/helpers/redis-server.js'
import { nodeRedisStore } from '../node-redis-store.js'
import { scripts } from './fencing.js'

// A server of its own: it has run no script before this file, so SCRIPT EXISTS shows exactly the
// scripts ioredis sent. It starts in a hook, not at import: a run whose name filter leaves none of
// this file's tests runs no hook, and would never stop it. After-hooks run in reverse: the
// clients close before the server stops.
const port = await freePort()
let server: RedisServer | undefined
beforeAll(async () => {
  server = await startRedisServer([], port)
})
afterAll(() => server?.stop())
const url = `redis://127.0.0.1:${port}`
// ioredis connects once the server is up (it retries); its commands wait for it meanwhile.
const ioredis = connectRedis(url)
const client = createClient({ url }).on('error', () => {})
beforeAll(async () => {
  await client.connect()
})
afterAll(() => client.close())

const prefix = 'interop:'
/** An encoded entry written with `fence` (core's envelope: the fence is the sixth field). */
const entry = (fence: number) => `cg2|9999999999999|9999999999999|1|5|${fence}|v"${fence}"`

describe('fencing | nodeRedisStore and redisStore (ioredis) on one Redis', () => {
  let viaIoredis: CacheStore
  let viaNodeRedis: CacheStore
  beforeAll(() => {
    viaIoredis = redisStore(ioredis, { prefix })
    viaNodeRedis = nodeRedisStore(client, { prefix })
  })

  it('runs the same Lua as @cacheguard/redis, byte for byte', async () => {
    await viaIoredis.nextFence!('first')
    await viaIoredis.setFenced!('first', entry(1), 10_000, 1)
    const unknown = createHash('sha1').update('return 1').digest('hex')
    expect(
      await client.scriptExists([scripts.nextFence.sha1, scripts.setFenced.sha1, unknown]),
    ).toEqual([1, 1, 0])
  })

  it('issues one rising sequence from both stores, on one counter key per entry', async () => {
    for (const key of ['user:1', '{tenant}:user:1']) {
      const tokens = []
      for (const store of [viaIoredis, viaNodeRedis, viaIoredis, viaNodeRedis]) {
        tokens.push(await store.nextFence!(key))
      }
      expect(tokens).toEqual([1, 2, 3, 4])
    }
    expect((await client.keys(`${prefix}*user:1*`)).sort()).toEqual([
      `${prefix}{${prefix}user:1}:fence`,
      `${prefix}{tenant}:user:1:fence`,
    ])
  })

  it('bounds the next token by an entry the other store wrote', async () => {
    await viaNodeRedis.set('bounded', entry(500), 10_000)
    expect(await viaIoredis.nextFence!('bounded')).toBe(501)
    await viaIoredis.set('bounded', entry(900), 10_000)
    expect(await viaNodeRedis.nextFence!('bounded')).toBe(901)
  })

  for (const [writer, other] of [
    ['redisStore', 'nodeRedisStore'],
    ['nodeRedisStore', 'redisStore'],
  ] as const) {
    it(`refuses and accepts writes fenced by ${other} over an entry from ${writer}, as ${writer} does`, async () => {
      const stores = { redisStore: viaIoredis, nodeRedisStore: viaNodeRedis }
      const a = stores[writer]
      const b = stores[other]
      const key = `entry-by-${writer}`
      expect(await a.setFenced!(key, entry(5), 10_000, 5)).toBe(true)
      const answers = async (store: CacheStore, probe: string) => {
        await a.setFenced!(probe, entry(5), 10_000, 5)
        return [
          await store.setFenced!(probe, entry(4), 10_000, 4),
          await store.setFenced!(probe, entry(5), 10_000, 5),
          await store.setFenced!(probe, entry(6), 10_000, 6),
          await store.setFenced!(probe, entry(5), 10_000, 5),
        ]
      }
      // Same answers through either store: an older fence refused, the same or a newer accepted.
      expect(await answers(b, key)).toEqual([false, true, true, false])
      expect(await answers(a, `${key}:same-store`)).toEqual([false, true, true, false])
      expect(await a.get(key)).toBe(entry(6))
      expect(await b.get(key)).toBe(entry(6))
      // A text that is not an entry blocks nothing, with either store.
      await a.set(`${key}:foreign`, 'written by another program', 10_000)
      expect(await b.setFenced!(`${key}:foreign`, entry(1), 10_000, 1)).toBe(true)
    })
  }

  it('reads through one cache what a cache over the other store wrote', async () => {
    const written = createCache({ store: viaNodeRedis, namespace: 'shared' })
    const reader = createCache({ store: viaIoredis, namespace: 'shared' })
    await written.set('user:7', { name: 'Ada' })
    expect(await reader.getOrSet('user:7', () => ({ name: 'loaded' }))).toEqual({ name: 'Ada' })
  })
})
