export { type HttpCache, httpCache } from './http-cache.js'
export { labelled } from './internal/answers.js'
export { CONDITIONAL_HEADERS, handlerHeaders } from './internal/handler-headers.js'
export { hasContentLength } from './internal/statuses.js'
export { headerList } from './internal/stored.js'
export { unshared, unstored } from './internal/targeted.js'
export { type RouteCaches, routeCaches } from './route-caches.js'
export type {
  CacheStatus,
  HttpCacheOptions,
  HttpRequest,
  HttpResponse,
  HttpResult,
  RunHandler,
  Validators,
} from './types.js'
