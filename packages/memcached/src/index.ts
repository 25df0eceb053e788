export {
  type MemcachedStoreOptions,
  type MemjsClient,
  memcachedStore,
} from './memcached-store.js'
