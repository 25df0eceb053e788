export { type HttpCache, httpCache } from './http-cache.js'
export type {
  CacheStatus,
  HttpCacheOptions,
  HttpRequest,
  HttpResponse,
  HttpResult,
  RunHandler,
  Validators,
} from './types.js'
