import { describeCacheOverStore } from './cache-suite.js'
import { type ConformanceOptions, describeStoreContract } from './store-suite.js'

/**
 * Registers the whole conformance suite for a store under vitest: the raw store contract, then
 * a cache over the store (single-flight, corrupt entries, negative caching, grace, jitter).
 * A third-party store runs exactly the suite our stores run.
 *
 * @example
 * // my-store.test.ts
 * import { runStoreConformance } from '@cacheguard/core/testing'
 * runStoreConformance({ name: 'my store', store: () => myStore(client) })
 */
export function runStoreConformance(options: ConformanceOptions): void {
  describeStoreContract(options)
  describeCacheOverStore(options)
}
