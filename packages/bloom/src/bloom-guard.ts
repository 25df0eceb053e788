import type { Guard } from '@cacheguard/core'
import type { Bloom } from './bloom.js'

/** Options of `bloomGuard`. */
export interface BloomGuardOptions {
  /** The filter of members that exist: `memoryBloom` or `redisBloom`. Required. */
  filter: Bloom
  /**
   * Maps a cache key to the filter's member (`'user:42'` to `'42'`); `undefined` leaves the key
   * unchecked (a key family the filter does not cover). @default the key itself
   */
  key?: (cacheKey: string) => string | undefined
}

/**
 * A penetration guard: a key whose member the filter says was never added answers "not found"
 * without calling the loader, counted as `blocked`. Successful loads and `set` add the member.
 *
 * A local filter (`memoryBloom`) is checked before the store lookup, so attack traffic costs no
 * round trip; a shared one (`redisBloom`) only on a miss, so a hit never waits for it. If the
 * filter cannot be read, the request goes through (fail open) and the error is reported.
 *
 * @example
 * const cache = createCache({
 *   guards: [bloomGuard({ filter: memoryBloom({ capacity: 1e6 }), key: (k) => k.split(':')[1] })],
 * })
 */
export function bloomGuard(options: BloomGuardOptions): Guard {
  const filter = options?.filter
  if (typeof filter?.has !== 'function' || typeof filter.add !== 'function') {
    throw new TypeError(
      'Expected `filter` to be a Bloom filter such as memoryBloom() or redisBloom()',
    )
  }
  if (options.key !== undefined && typeof options.key !== 'function') {
    throw new TypeError(
      `Expected \`key\` to be a function, got \`${String(options.key)}\` (${typeof options.key})`,
    )
  }
  const member = options.key ?? ((key: string) => key)
  const guard: Guard = {
    name: 'bloom',
    written(ctx) {
      if (!ctx.found) return
      const m = member(ctx.key)
      if (m !== undefined) return filter.add(m)
    },
  }
  if (filter.local) {
    guard.admit = (key) => {
      const m = member(key)
      return m === undefined || (filter.has(m) as boolean)
    }
    return guard
  }
  guard.load = async (ctx, next) => {
    const m = member(ctx.key)
    if (m === undefined) return next()
    let present: boolean
    try {
      present = await filter.has(m)
    } catch (error) {
      // Fail open: a filter we cannot read must never block a real key.
      ctx.report(error)
      return next()
    }
    return present ? next() : ctx.block('absent from the Bloom filter')
  }
  return guard
}
