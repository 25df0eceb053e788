export { type ExpressCache, type ExpressCacheOptions, expressCache } from './express-cache.js'
