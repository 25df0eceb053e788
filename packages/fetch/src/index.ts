export {
  type CachedFetchHandler,
  type FetchCacheOptions,
  type FetchHandler,
  fetchCache,
} from './fetch-cache.js'
