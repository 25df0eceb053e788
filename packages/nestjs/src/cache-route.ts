import type { HttpCacheOptions } from '@cacheguard/http'
import { SetMetadata } from '@nestjs/common'

/** The metadata key `@CacheRoute` sets on a handler or a controller. */
export const CACHE_ROUTE = 'cacheguard:cache-route'

/**
 * Says how the `CacheGuardInterceptor` caches a handler, or every handler of a controller (the
 * handler's own wins): options of its own over the module's (`@CacheRoute({ ttl: '5m' })`),
 * `false` to leave it uncached (under a global interceptor), or nothing for the module's options.
 *
 * @param options - options of `httpCache` over the module's, `true` for the module's, or `false`.
 *
 * @example
 * @Get(':id')
 * @CacheRoute({ ttl: '5m', varyBy: ['accept-language'] })
 * findOne(@Param('id') id: string) { return this.products.find(id) }
 */
export function CacheRoute(
  options: HttpCacheOptions | boolean = true,
): MethodDecorator & ClassDecorator {
  return SetMetadata(CACHE_ROUTE, options)
}
