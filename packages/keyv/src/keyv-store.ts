import type { CacheStore } from '@cacheguard/core'
import type Keyv from 'keyv'

/**
 * A store over a Keyv instance you already have, so any Keyv storage adapter (`@keyv/redis`,
 * `@keyv/postgres`, `@keyv/mongo`, a `Map`...) can sit under cacheguard. Keyv keeps its own
 * namespace prefix and expiry; cacheguard's TTLs are passed to it in milliseconds.
 *
 * Create the Keyv with `throwOnErrors: true`: by default Keyv answers a failed read as a miss
 * and a failed write as `false`, and cacheguard could not report the failure or open its breaker.
 * Failed writes are turned into errors here either way.
 *
 * @example
 * const keyv = new Keyv({ store: new KeyvRedis('redis://localhost:6379'), throwOnErrors: true })
 * const cache = createCache({ store: keyvStore(keyv) })
 */
export function keyvStore(keyv: Keyv): CacheStore {
  if (typeof keyv?.get !== 'function' || typeof keyv.set !== 'function') {
    throw new TypeError('Expected `keyv` to be a Keyv instance')
  }
  const wrote = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`Keyv did not write ${what} (its adapter failed; see its error event)`)
  }
  return {
    name: 'keyv',

    get: (key) => keyv.get<string>(key),

    async set(key, value, ttlMs) {
      wrote(await keyv.set(key, value, ttlMs), `key \`${key}\``)
    },

    delete: (key) => keyv.delete(key),

    getMany: (keys) => keyv.getMany<string>([...keys]),

    async setMany(entries) {
      const results: unknown = await keyv.setMany(
        entries.map(({ key, value, ttlMs }) => ({ key, value, ttl: ttlMs })),
      )
      // Keyv answers one boolean per entry, or nothing when its adapter writes the batch itself
      // (@keyv/redis); a failure of that adapter throws with throwOnErrors.
      if (Array.isArray(results)) {
        const failed = results.filter((ok) => ok !== true).length
        wrote(failed === 0, `${failed} of ${entries.length} keys`)
      }
    },

    async ttl(key) {
      const raw = await keyv.getRaw<string>(key)
      if (raw === undefined || raw === null) return undefined
      return typeof raw.expires === 'number' ? Math.max(0, raw.expires - Date.now()) : undefined
    },
  }
}
