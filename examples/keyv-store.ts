// The @cacheguard/keyv README example: a Keyv adapter under cacheguard.
import { createCache } from '@cacheguard/core'
import { keyvStore } from '@cacheguard/keyv'
import KeyvRedis from '@keyv/redis'
import Keyv from 'keyv'

const keyv = new Keyv({
  store: new KeyvRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
  namespace: process.env.KEYV_NAMESPACE ?? 'keyv',
  throwOnErrors: true,
})
const cache = createCache({ store: keyvStore(keyv), ttl: '5m' })

console.log(await cache.getOrSet('user:1', async () => ({ id: 1, name: 'Ada' })))
await keyv.disconnect()
