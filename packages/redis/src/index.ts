export { type RedisBus, type RedisBusOptions, redisBus } from './redis-bus.js'
export { type RedisStoreOptions, redisStore } from './redis-store.js'
