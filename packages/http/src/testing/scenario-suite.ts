import type { HttpAdapter } from './harness.js'
import { describeFreshness } from './scenarios/freshness.js'
import { describeInvalidation } from './scenarios/invalidation.js'
import { describeOutage } from './scenarios/outage.js'
import { describeProtection } from './scenarios/protection.js'
import { describeSharing } from './scenarios/sharing.js'
import { describeValidation } from './scenarios/validation.js'
import { describeVariants } from './scenarios/variants.js'

/**
 * Registers the shared HTTP scenario suite under vitest: every rule of `@cacheguard/http`
 * (protection, freshness and storability, validation and revalidation, keys and Vary, what is
 * never shared, invalidation, and, given `outage`, the store's server stopped mid-run), each driven
 * over a real socket through `adapter`. Every adapter
 * runs the same suite, so none can drift from the rules.
 *
 * @example
 * // my-adapter.test.ts
 * import { describeHttpScenarios } from '@cacheguard/http/testing'
 * describeHttpScenarios({
 *   name: 'my adapter',
 *   store: () => redisStore(redis, { prefix: `scenarios:${randomUUID()}:` }),
 *   serve: (cache, handler, options) => myAdapterListener(cache, handler, options),
 * })
 */
export function describeHttpScenarios(adapter: HttpAdapter): void {
  describeProtection(adapter)
  describeFreshness(adapter)
  describeValidation(adapter)
  describeVariants(adapter)
  describeSharing(adapter)
  describeInvalidation(adapter)
  describeOutage(adapter)
}
