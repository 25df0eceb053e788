// The @cacheguard/warmup README example: fill a cache before traffic does.
import { createCache } from '@cacheguard/core'
import { warmup } from '@cacheguard/warmup'

const db = { findUser: async (id: string) => ({ id }) }
const cache = createCache({ ttl: '10m', jitter: 0.1 })

const report = await warmup(cache, {
  keys: Array.from({ length: 1000 }, (_, i) => `user:${i}`),
  load: (key) => db.findUser(key.slice(5)),
  concurrency: 32,
  ratePerSecond: 5000,
})
const { durationMs, ...counts } = report
console.log(counts)
