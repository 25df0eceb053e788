import { runStoreConformance } from '@cacheguard/core/testing'
import KeyvRedis from '@keyv/redis'
import Keyv from 'keyv'
import { afterAll, describe, expect, it } from 'vitest'
import { createCache } from '../../../test/helpers/packages.js'
import { connectRedis, redisUrl, uniquePrefix } from '../../../test/helpers/redis.js'
import { keyvStore } from './keyv-store.js'

const namespace = uniquePrefix('keyv').slice(0, -1)
const redisKeyv = new Keyv({ store: new KeyvRedis(redisUrl()), namespace, throwOnErrors: true })
const redis = connectRedis()

afterAll(async () => {
  await redisKeyv.disconnect()
  const keys = await redis.keys(`${namespace}*`)
  if (keys.length > 0) await redis.del(keys)
})

runStoreConformance({ name: "keyvStore over Keyv's own Map", store: () => keyvStore(new Keyv()) })
runStoreConformance({ name: 'keyvStore over @keyv/redis', store: () => keyvStore(redisKeyv) })

describe('keyvStore | failures', () => {
  it('turns a Redis that does not answer into typed errors and loads, with throwOnErrors', async () => {
    const down = new Keyv({
      store: new KeyvRedis({ url: 'redis://127.0.0.1:1', socket: { reconnectStrategy: false } }),
      throwOnErrors: true,
    })
    down.on('error', () => {})
    const cache = createCache({ store: keyvStore(down), storeTimeout: 300 })
    const codes: string[] = []
    cache.on('error', ({ error }) => codes.push(error.code))
    expect(await cache.getOrSet('user:1', () => ({ id: 1 }))).toEqual({ id: 1 })
    await expect(cache.set('user:2', { id: 2 })).rejects.toMatchObject({
      code: expect.stringMatching(/^CG_STORE/),
    })
    expect(codes.length).toBeGreaterThanOrEqual(2)
    expect(codes.every((code) => code.startsWith('CG_STORE'))).toBe(true)
    await down.disconnect().catch(() => {})
  })

  it('refuses something that is not a Keyv', () => {
    expect(() => keyvStore({} as never)).toThrow(/Keyv instance/)
  })
})
