export { lambdaCache } from './lambda-cache.js'
export type {
  CachedProxyHandler,
  CachedResultOf,
  LambdaCacheOptions,
  ProxyCallback,
  ProxyEvent,
  ProxyEventV1,
  ProxyEventV2,
  ProxyHandler,
  ProxyResultOf,
  ProxyResultV1,
  ProxyResultV2,
  ProxyStructuredResultV2,
} from './types.js'
