// A NestJS 11 app whose product routes are cached by @cacheguard/nestjs, in Redis when it answers
// (in memory otherwise), on the Express platform or, with PLATFORM=fastify, the Fastify one:
// concurrent misses run the handler once, the handler's Cache-Control decides what is stored and
// for how long, an unknown id's 404 is stored (penetration) while an exception never is, and a
// PUT drops the cached GET of its URL.
//   node --import tsx --conditions=cacheguard-source examples/nestjs/server.ts
// REDIS_URL (default redis://127.0.0.1:6379), PORT (default 3000; 0 picks a free one),
// CACHE_PREFIX (default 'nest:<pid>:') and PLATFORM ('express' or 'fastify', default 'express')
// change it. It prints `listening on <url>` when ready.
import 'reflect-metadata'
import { createCache } from '@cacheguard/core'
import { CacheGuardModule, CacheRoute } from '@cacheguard/nestjs'
import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Module,
  Param,
  ParseIntPipe,
  Put,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { exampleStore } from '../example-store.js'
import { productDb } from '../product-db.js'

const { store, redis } = await exampleStore(`nest:${process.pid}:`)
const cache = createCache({ store })

/** Stands in for the database: 100 products, each query takes 100 ms. */
const db = productDb()

@Controller()
class ProductsController {
  @Get('products/:id')
  // Fresh for 60 s, then served stale for up to 5 minutes while one request refreshes it.
  @Header('Cache-Control', 'public, max-age=60, stale-while-revalidate=300')
  async findOne(
    @Param('id', ParseIntPipe) id: number,
    // Only to set the status of a not-found answer, which the cache stores like any 404.
    @Res({ passthrough: true }) response: {
      status?(code: number): unknown
      code?(code: number): unknown
    },
  ) {
    const product = await db.findProduct(id)
    if (product !== undefined) return product
    if (response.code) response.code(404)
    else response.status?.(404)
    return { error: 'no such product' }
  }

  // A successful PUT through the cache drops the cached GET of the same URL.
  @Put('products/:id')
  @HttpCode(204)
  update(@Param('id', ParseIntPipe) id: number, @Body() body: { price: number }) {
    db.prices.set(id, Number(body.price))
  }

  // An exception reaches Nest's exception filters, and is never stored.
  @Get('flaky')
  flaky() {
    throw new ServiceUnavailableException('try again')
  }

  // Not cached: how many queries reached the database.
  @Get('stats')
  @CacheRoute(false)
  stats() {
    return { queries: db.queries, cache: cache.stats() }
  }
}

@Module({
  imports: [CacheGuardModule.forRoot({ cache, global: true, ttl: '30s', handlerTimeout: '5s' })],
  controllers: [ProductsController],
})
class AppModule {}

const fastify = process.env.PLATFORM === 'fastify'
const app = await NestFactory.create(
  AppModule,
  fastify ? new FastifyAdapter() : new ExpressAdapter(),
  {
    logger: ['error'],
  },
)
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1')
console.log(`platform: ${fastify ? 'fastify' : 'express'}`)
console.log(`listening on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')}`)
const stop = async () => {
  await app.close()
  await cache.close()
  await redis?.quit()
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
