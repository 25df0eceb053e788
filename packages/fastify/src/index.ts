export {
  type FastifyCacheDecorator,
  type FastifyCacheOptions,
  type FastifyCacheRouteConfig,
  fastifyCache,
} from './fastify-cache.js'
