import { createCache } from '@cacheguard/core'
import { runStoreConformance } from '@cacheguard/core/testing'
import { fenceCounterKey } from '@cacheguard/redis/fencing-scripts'
import { createCluster, type RedisClusterType } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisCluster, startRedisCluster } from '../../../test/helpers/redis-cluster.js'
import { nodeRedisStore } from './node-redis-store.js'

let cluster: RedisCluster
let client: RedisClusterType
let prefixed: RedisClusterType

/** A node-redis cluster client to the test cluster; the caller closes it. */
function connect(keyPrefix?: string): Promise<RedisClusterType> {
  return createCluster({
    rootNodes: cluster.nodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
    ...(keyPrefix === undefined ? {} : { keyPrefix }),
  })
    .on('error', () => {})
    .connect()
}

/** An encoded entry written with `fence` (core's envelope: the fence is the sixth field). */
const entry = (fence: number) => `cg2|9999999999999|9999999999999|1|5|${fence}|v"x"`

/** The slot the server itself computes for a key. */
async function serverSlot(key: string): Promise<number> {
  const node = await client.nodeClient(client.masters[0]!)
  return Number(await node.sendCommand(['CLUSTER', 'KEYSLOT', key]))
}

beforeAll(async () => {
  cluster = await startRedisCluster(3)
  client = await connect()
  prefixed = await connect('kp:')
})

afterAll(async () => {
  await Promise.all([client?.close(), prefixed?.close()])
  await cluster?.stop()
})

describe('nodeRedisStore | Redis Cluster', () => {
  runStoreConformance({
    name: 'nodeRedisStore on a 3-master Cluster',
    store: () => nodeRedisStore(client),
  })

  it('names itself as a cluster store', () => {
    expect(nodeRedisStore(client).name).toBe('node-redis-cluster')
  })

  it('spreads a batch over all three masters and reads it back in one getMany', async () => {
    const store = nodeRedisStore(client, { prefix: 'spread:' })
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`)
    await store.setMany!(keys.map((key) => ({ key, value: `v-${key}`, ttlMs: 10_000 })))
    const counts = await Promise.all(
      client.masters.map(async (master) => (await client.nodeClient(master)).dbSize()),
    )
    expect(counts).toHaveLength(3)
    expect(counts.every((count) => count > 0)).toBe(true)
    expect(await store.getMany!([...keys, 'absent'])).toEqual([...keys.map((k) => `v-${k}`), null])
  })

  it('answers 100 keys of scattered slots read by a cache in one tick', async () => {
    const cache = createCache({ store: nodeRedisStore(client, { prefix: 'tick:' }) })
    const keys = Array.from({ length: 100 }, (_, i) => `slot-spread:${i}`)
    await Promise.all(keys.map((key, i) => cache.set(key, i)))
    expect(await Promise.all(keys.map((key) => cache.getOrSet(key, () => -1)))).toEqual(
      keys.map((_, i) => i),
    )
    expect(cache.stats()).toMatchObject({ hits: 100, loads: 0, errors: 0 })
  })
})

describe('nodeRedisStore | fence counters on a Cluster', () => {
  const keys = ['plain', 'app:user:1', '{tenant}:user:1', 'a{b', 'ключ', '🔑 key']

  it("keeps each counter in its entry's slot, and fences there", async () => {
    for (const key of keys) {
      const full = `app:${key}`
      expect(await serverSlot(fenceCounterKey(full, 'app:', true)), key).toBe(
        await serverSlot(full),
      )
    }
    const store = nodeRedisStore(client, { prefix: 'app:' })
    for (const key of keys) {
      const first = await store.nextFence!(key)
      expect(await store.nextFence!(key)).toBe(first + 1)
      expect(await store.setFenced!(key, 'fenced', 10_000, first + 1)).toBe(true)
    }
  })

  it('refuses, clearly, a key whose braces hold no hash tag and would split it from its counter', async () => {
    const store = nodeRedisStore(client)
    await expect(store.nextFence!('a}b')).rejects.toThrow(
      'The key `a}b` has braces but no hash tag, so its fence counter cannot share its Cluster slot',
    )
    // An empty first tag means no tag at all: Redis hashes the whole key.
    await expect(store.nextFence!('{}x{y}')).rejects.toThrow('has braces but no hash tag')
  })

  it("fences on a cluster client with a keyPrefix, in the prefixed key's slot", async () => {
    const store = nodeRedisStore(prefixed, { prefix: 'p:' })
    const first = await store.nextFence!('user:1')
    expect(await store.nextFence!('user:1')).toBe(first + 1)
    expect(await store.setFenced!('user:1', entry(first + 1), 10_000, first + 1)).toBe(true)
    expect(await store.setFenced!('user:1', entry(first), 10_000, first)).toBe(false)
    // The entry and its counter, as the server holds them (through the client without keyPrefix).
    expect(await client.get('kp:p:user:1')).toBe(entry(first + 1))
    expect(await client.get('kp:p:{kp:p:user:1}:fence')).toBe(String(first + 1))
  })
})
