export { type HonoCacheMiddleware, type HonoCacheOptions, honoCache } from './hono-cache.js'
