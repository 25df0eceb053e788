export { type KoaCacheMiddleware, type KoaCacheOptions, koaCache } from './koa-cache.js'
