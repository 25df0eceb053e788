export {
  type CachedFetchHandler,
  type FetchCacheOptions,
  type FetchHandler,
  fetchCache,
} from './fetch-cache.js'
export { handlerRequest, toHttpRequest } from './internal/request.js'
export { fromResponse, toResponse } from './internal/response.js'
