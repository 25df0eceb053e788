import { createCache } from '@cacheguard/core'
import { runStoreConformance } from '@cacheguard/core/testing'
import { createClient, RESP_TYPES } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisUrl, uniquePrefix } from '../../../test/helpers/redis.js'
import { nodeRedisStore } from './node-redis-store.js'

const client = createClient({ url: redisUrl() }).on('error', () => {})
// RESP3 is node-redis 6's default; a RESP2 client answers some commands in other shapes.
const resp2 = createClient({ url: redisUrl(), RESP: 2 }).on('error', () => {})
const prefix = uniquePrefix('node-redis-store')

beforeAll(async () => {
  await Promise.all([client.connect(), resp2.connect()])
})

afterAll(async () => {
  const keys = await client.keys(`${prefix}*`)
  if (keys.length > 0) await client.del(keys)
  await Promise.all([client.close(), resp2.close()])
})

runStoreConformance({ name: 'nodeRedisStore', store: () => nodeRedisStore(client, { prefix }) })

describe('nodeRedisStore | replies in every shape the client is set up for', () => {
  const views = {
    'a RESP2 client': () => resp2,
    'a client that maps strings to Buffers and numbers to strings': () =>
      client.withTypeMapping({
        [RESP_TYPES.BLOB_STRING]: Buffer,
        [RESP_TYPES.SIMPLE_STRING]: Buffer,
        [RESP_TYPES.NUMBER]: String,
      }),
  }
  for (const [label, view] of Object.entries(views)) {
    it(`reads strings and numbers through ${label}`, async () => {
      const store = nodeRedisStore(view(), { prefix: `${prefix}shapes:` })
      await store.set('a', 'ünïcødé', 30_000)
      await store.setMany!([{ key: 'b', value: 'two', ttlMs: 30_000 }])
      expect(await store.get('a')).toBe('ünïcødé')
      expect(await store.getMany!(['a', 'missing', 'b'])).toEqual(['ünïcødé', null, 'two'])
      expect(await store.ttl!('a')).toBeGreaterThan(25_000)
      expect(await store.ttl!('missing')).toBeUndefined()
      const fence = await store.nextFence!('a')
      expect(typeof fence).toBe('number')
      expect(await store.setFenced!('a', 'fenced', 30_000, fence)).toBe(true)
      expect(await store.delete('a')).toBe(true)
      expect(await store.delete('a')).toBe(false)
    })
  }
})

describe('nodeRedisStore | key layout', () => {
  it('writes under the prefix and leaves other keys alone', async () => {
    const store = nodeRedisStore(client, { prefix })
    await client.set(`${prefix}other`, 'theirs')
    const cache = createCache({ store, namespace: 'users' })
    await cache.set('42', { name: 'Ada' })
    expect(await client.get(`${prefix}users:42`)).toMatch(
      /^cg2\|\d+\|\d+\|\d+\|\d+\|0\|v\{"name":"Ada"\}$/,
    )
    await cache.delete('42')
    expect(await client.get(`${prefix}other`)).toBe('theirs')
  })

  it('keeps the fence counter under the prefix, in the key as hash tag', async () => {
    const store = nodeRedisStore(client, { prefix })
    await store.nextFence!('user:1')
    await store.nextFence!('{tenant}:user:1')
    expect(await client.get(`${prefix}{${prefix}user:1}:fence`)).toBe('1')
    expect(await client.get(`${prefix}{tenant}:user:1:fence`)).toBe('1')
    expect(await client.pTTL(`${prefix}{${prefix}user:1}:fence`)).toBeGreaterThan(23 * 3600_000)
  })

  it('leaves the connection open and the client as it was', async () => {
    const before = client.listenerCount('error')
    const cache = createCache({ store: nodeRedisStore(client, { prefix }) })
    expect(await cache.getOrSet('open', () => 'loaded')).toBe('loaded')
    expect(client.isOpen).toBe(true)
    expect(client.listenerCount('error')).toBe(before)
  })
})

describe('nodeRedisStore | readiness', () => {
  it('is ready while its client is, and not before it has connected', () => {
    expect(nodeRedisStore(client).ready?.()).toBe(true)
    const idle = createClient({ url: redisUrl() }).on('error', () => {})
    expect(nodeRedisStore(idle).ready?.()).toBe(false)
  })
})

describe('nodeRedisStore | options', () => {
  it('rejects something that is not a node-redis client, naming what it got', () => {
    expect(() => nodeRedisStore({} as never)).toThrow(
      'Expected `client` to be a node-redis client (createClient) or cluster (createCluster), version 5 or later, got `{}` (object)',
    )
    expect(() => nodeRedisStore(undefined as never)).toThrow('got `undefined` (undefined)')
  })

  it('points an ioredis client to redisStore', () => {
    const ioredisLike = { get() {}, defineCommand() {} }
    expect(() => nodeRedisStore(ioredisLike as never)).toThrow(
      'this looks like an ioredis client, which redisStore from @cacheguard/redis takes',
    )
  })

  it("refuses a client without an 'error' listener, which would exit the process on an outage", () => {
    const bare = createClient({ url: redisUrl() })
    expect(() => nodeRedisStore(bare)).toThrow(
      "Expected `client` to have an 'error' listener, got none",
    )
  })

  it('validates the prefix and the options object', () => {
    expect(() => nodeRedisStore(client, { prefix: 5 as never })).toThrow(
      'Expected `prefix` to be a string, got `5` (number)',
    )
    expect(() => nodeRedisStore(client, 'app:' as never)).toThrow(
      'Expected `options` to be an object such as { prefix: \'app:\' }, got `"app:"` (string)',
    )
    expect(nodeRedisStore(client, { prefix: undefined as never }).name).toBe('node-redis')
  })
})
