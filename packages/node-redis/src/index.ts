export {
  type NodeRedisClient,
  type NodeRedisStoreOptions,
  nodeRedisStore,
} from './node-redis-store.js'
