export { CACHE_ROUTE, CacheRoute } from './cache-route.js'
export { CacheGuardInterceptor } from './cacheguard-interceptor.js'
export {
  CacheGuardModule,
  type CacheGuardModuleAsyncOptions,
  type CacheGuardModuleOptions,
} from './cacheguard-module.js'
