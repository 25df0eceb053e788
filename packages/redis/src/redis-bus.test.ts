import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { type Cache, createCache, memoryStore } from '../../../test/helpers/packages.js'
import { connectRedis, uniquePrefix } from '../../../test/helpers/redis.js'
import { freePort, startRedisServer } from '../../../test/helpers/redis-server.js'
import { redisBus } from './redis-bus.js'
import { redisStore } from './redis-store.js'

const redis = connectRedis()
const prefix = uniquePrefix('bus')

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

const until = async (check: () => Promise<boolean>) => {
  const deadline = Date.now() + 3000
  while (!(await check())) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return true
}

describe('redis bus', () => {
  it('sends the keys published in one tick as one PUBLISH, and every subscriber hears them', async () => {
    const channel = `${prefix}batch`
    const bus = redisBus(redis, { subscriber: connectRedis(), channel })
    const heard: string[][] = []
    bus.subscribe((message) => heard.push(message.keys))
    await bus.ready()
    const raw = connectRedis()
    const published: string[] = []
    raw.on('message', (_channel, text) => published.push(text))
    await raw.subscribe(channel)
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => bus.publish({ origin: 'a', keys: [`k${i}`] })),
    )
    expect(await until(async () => heard.length === 1 && published.length === 1)).toBe(true)
    expect(heard[0]).toHaveLength(100)
    expect(JSON.parse(published[0]!)).toMatchObject({ origin: 'a' })
  })

  it('ignores messages on its channel that are not invalidations', async () => {
    const channel = `${prefix}foreign`
    const bus = redisBus(redis, { subscriber: connectRedis(), channel })
    const heard: unknown[] = []
    bus.subscribe((message) => heard.push(message))
    await bus.ready()
    await redis.publish(channel, 'not json')
    await redis.publish(channel, JSON.stringify({ origin: 'x', keys: [1, 2] }))
    await redis.publish(channel, JSON.stringify({ origin: 'x', keys: ['ok'] }))
    expect(await until(async () => heard.length > 0)).toBe(true)
    expect(heard).toEqual([{ origin: 'x', keys: ['ok'] }])
  })

  it('makes a write or delete in one cache drop the memory copy of another', async () => {
    const channel = `${prefix}caches`
    const buses = [1, 2].map(() => redisBus(redis, { subscriber: connectRedis(), channel }))
    const [a, b] = buses.map((bus) =>
      createCache({ store: redisStore(redis, { prefix }), l1: memoryStore(), bus, ttl: '1h' }),
    ) as [Cache, Cache]
    // A message sent before a subscription is active is not heard: wait for both.
    await Promise.all(buses.map((bus) => bus.ready()))
    await a.set('user:1', { v: 1 })
    expect(await b.getOrSet('user:1', () => ({ v: 0 }))).toEqual({ v: 1 })
    // b now answers user:1 from memory; a's write must reach it through the bus.
    await a.set('user:1', { v: 2 })
    expect(await until(async () => (await b.get<{ v: number }>('user:1'))?.v === 2)).toBe(true)
    await a.delete('user:1')
    expect(await until(async () => (await b.get('user:1')) === undefined)).toBe(true)
    // a keeps its own copy through its own messages.
    await a.set('user:2', { v: 3 })
    await redis.del(`${prefix}user:2`)
    expect(await a.get('user:2')).toEqual({ v: 3 })
  })

  it('refuses a subscriber that is the publishing client, and a bad channel', () => {
    expect(() => redisBus(redis, { subscriber: redis })).toThrow(/connection of its own/)
    expect(() => redisBus(redis, { subscriber: connectRedis(), channel: '' })).toThrow(/channel/)
    expect(() => redisBus({} as never, { subscriber: connectRedis() })).toThrow(/ioredis/)
  })

  it('subscribes once Redis is up when its first SUBSCRIBE failed (Redis down at boot)', async () => {
    const port = await freePort()
    const url = `redis://127.0.0.1:${port}`
    const options = { maxRetriesPerRequest: 0, retryStrategy: () => 50 }
    const [publisher, subscriber] = [new Redis(url, options), new Redis(url, options)]
    publisher.on('error', () => {})
    subscriber.on('error', () => {})
    const bus = redisBus(publisher, { subscriber, channel: 'boot' })
    const heard: string[][] = []
    bus.subscribe((message) => heard.push(message.keys))
    await expect(bus.ready()).rejects.toThrow()
    const server = await startRedisServer([], port)
    try {
      expect(
        await until(
          async () =>
            await bus.ready().then(
              () => true,
              () => false,
            ),
        ),
      ).toBe(true)
      await bus.publish({ origin: 'x', keys: ['k'] })
      expect(await until(async () => heard.length > 0)).toBe(true)
    } finally {
      publisher.disconnect()
      subscriber.disconnect()
      await server.stop()
    }
  })
})
