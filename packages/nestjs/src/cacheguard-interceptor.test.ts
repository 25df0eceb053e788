// CacheGuardInterceptor's own cases on both of Nest's platforms, over a real socket: exception
// filters (built-in and custom), binding per controller and per handler, @CacheRoute options and
// opt-out, what Nest serializes (objects, strings, StreamableFile, @Header, @HttpCode), a refresh
// that must not inherit the stale answer's headers, invalidation, and bad input.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createCache, memoryStore } from '@cacheguard/core'
import { send, sleep } from '@cacheguard/http/testing'
import {
  type ArgumentsHost,
  Catch,
  Controller,
  type ExceptionFilter,
  Get,
  Header,
  HttpCode,
  Inject,
  Module,
  NotFoundException,
  Param,
  Post,
  Redirect,
  Res,
  StreamableFile,
  type Type,
  UseFilters,
  UseInterceptors,
} from '@nestjs/common'
import { describe, expect, it, onTestFinished } from 'vitest'
import { CacheRoute } from './cache-route.js'
import { CacheGuardInterceptor } from './cacheguard-interceptor.js'
import { CacheGuardModule, type CacheGuardModuleOptions } from './cacheguard-module.js'
import { nestListener, type Platform } from './fixtures/nest-app.js'
import { setHeader } from './internal/response.js'

/** Serves the app of `module` on `platform` on a loopback port until the test ends. */
async function serve(module: Type, platform: Platform): Promise<string> {
  const { listener, app } = nestListener(module, platform)
  await app
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await (await app).close()
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** The module over a fresh memory cache, with `options`. */
function cacheModule(options: Partial<CacheGuardModuleOptions> = {}) {
  return CacheGuardModule.forRoot({ cache: createCache({ store: memoryStore() }), ...options })
}

class OutOfStock extends Error {}

@Catch(OutOfStock)
class OutOfStockFilter implements ExceptionFilter {
  catch(error: OutOfStock, host: ArgumentsHost) {
    // biome-ignore lint/suspicious/noExplicitAny: an Express response or a Fastify reply
    const response = host.switchToHttp().getResponse<any>()
    const body = JSON.stringify({ error: error.message })
    if (typeof response.code === 'function') response.code(422).send(body)
    else response.status(422).send(body)
  }
}

describe.each(['express', 'fastify'] as const)(
  'CacheGuardInterceptor | nestjs (%s)',
  (platform) => {
    it("lets Nest's exception filters answer, shares one run's exception with its waiters, and stores nothing", async () => {
      let runs = 0
      @Controller('products')
      @UseInterceptors(CacheGuardInterceptor)
      @UseFilters(OutOfStockFilter)
      class Products {
        @Get('missing')
        @Header('Cache-Control', 'max-age=60')
        async missing() {
          runs++
          await sleep(100)
          throw new NotFoundException('no such product')
        }
        @Get('sold-out')
        @Header('Cache-Control', 'max-age=60')
        soldOut() {
          runs++
          throw new OutOfStock('sold out')
        }
      }
      @Module({ imports: [cacheModule()], controllers: [Products] })
      class App {}
      const base = await serve(App, platform)
      const burst = await Promise.all(
        Array.from({ length: 5 }, () => send(`${base}/products/missing`)),
      )
      expect(runs).toBe(1)
      for (const reply of burst) {
        expect([reply.status, JSON.parse(reply.text).message]).toEqual([404, 'no such product'])
      }
      expect((await send(`${base}/products/missing`)).status).toBe(404)
      expect(runs).toBe(2)
      for (let i = 0; i < 2; i++) {
        const reply = await send(`${base}/products/sold-out`)
        expect([reply.status, reply.text]).toEqual([422, '{"error":"sold out"}'])
      }
      expect(runs).toBe(4)
    })

    it('caches what Nest serializes: objects, strings, StreamableFile bytes, with @Header and @HttpCode', async () => {
      let runs = 0
      const bytes = Buffer.from(Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256))
      @Controller()
      @UseInterceptors(CacheGuardInterceptor)
      class Things {
        @Get('object')
        @Header('Cache-Control', 'max-age=60')
        object() {
          runs++
          return { id: 1, name: 'Teapot' }
        }
        @Get('text')
        @Header('Cache-Control', 'max-age=60')
        text() {
          runs++
          return 'héllo'
        }
        @Get('file')
        @Header('Cache-Control', 'max-age=60')
        file() {
          runs++
          return new StreamableFile(bytes, { type: 'image/png' })
        }
        @Get('accepted')
        @HttpCode(203)
        @Header('Cache-Control', 'max-age=60')
        accepted() {
          runs++
          return { accepted: true }
        }
      }
      @Module({ imports: [cacheModule()], controllers: [Things] })
      class App {}
      const base = await serve(App, platform)
      for (const cached of ['MISS', 'HIT']) {
        const object = await send(`${base}/object`)
        expect([object.text, object.headers['content-type'], object.headers['x-cache']]).toEqual([
          '{"id":1,"name":"Teapot"}',
          'application/json; charset=utf-8',
          cached,
        ])
        expect(object.headers['cache-control']).toBe('max-age=60')
        const text = await send(`${base}/text`)
        expect([text.text, text.headers['content-type']]).toEqual([
          'héllo',
          platform === 'express' ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
        ])
        const file = await send(`${base}/file`)
        expect(file.body.equals(bytes)).toBe(true)
        expect([file.headers['content-type'], file.headers['content-length']]).toEqual([
          'image/png',
          String(bytes.length),
        ])
        const accepted = await send(`${base}/accepted`)
        expect([accepted.status, accepted.text]).toEqual([203, '{"accepted":true}'])
      }
      expect(runs).toBe(4)
    })

    it('binds globally, per controller or per handler, with @CacheRoute options and opt-out', async () => {
      let runs = 0
      @Controller()
      class Routes {
        @Get('default')
        plain() {
          return `run ${++runs}`
        }
        @Get('off')
        @CacheRoute(false)
        off() {
          return `run ${++runs}`
        }
        @Get('short')
        @CacheRoute({ ttl: 200 })
        short() {
          return `run ${++runs}`
        }
      }
      @Module({ imports: [cacheModule({ global: true, ttl: '1m' })], controllers: [Routes] })
      class Global {}
      const base = await serve(Global, platform)
      const twice = async (path: string) => [
        (await send(`${base}${path}`)).text,
        (await send(`${base}${path}`)).text,
      ]
      expect(await twice('/default')).toEqual(['run 1', 'run 1'])
      expect(await twice('/off')).toEqual(['run 2', 'run 3'])
      expect(await twice('/short')).toEqual(['run 4', 'run 4'])
      await sleep(250)
      expect((await send(`${base}/short`)).text).toBe('run 5')

      // Not global: only the handler that binds it is cached, once however often it is bound.
      @Controller()
      class Handlers {
        @Get('plain')
        plain() {
          return `plain ${++runs}`
        }
        @Get('cached')
        @UseInterceptors(CacheGuardInterceptor, CacheGuardInterceptor)
        cached() {
          return `cached ${++runs}`
        }
      }
      @Module({ imports: [cacheModule()], controllers: [Handlers] })
      class PerHandler {}
      const other = await serve(PerHandler, platform)
      expect((await send(`${other}/plain`)).headers['x-cache']).toBeUndefined()
      const first = await send(`${other}/cached`)
      const second = await send(`${other}/cached`)
      expect([first.headers['x-cache'], second.headers['x-cache'], second.text]).toEqual([
        'MISS',
        'HIT',
        first.text,
      ])
    })

    it('leaves a @Redirect handler to Nest under a global interceptor', async () => {
      @Controller()
      class Moved {
        @Get('old')
        @Redirect('/new', 301)
        old() {}
      }
      @Module({ imports: [cacheModule({ global: true })], controllers: [Moved] })
      class App {}
      const base = await serve(App, platform)
      for (let i = 0; i < 2; i++) {
        const reply = await send(`${base}/old`)
        expect([reply.status, reply.headers.location, reply.headers['x-cache']]).toEqual([
          301,
          '/new',
          undefined,
        ])
      }
    })

    it("stores a refresh with the handler's own headers, never the stale answer's", async () => {
      let runs = 0
      @Controller()
      @UseInterceptors(CacheGuardInterceptor)
      class Versioned {
        @Get('v')
        // biome-ignore lint/suspicious/noExplicitAny: an Express response or a Fastify reply
        async version(@Res({ passthrough: true }) response: any) {
          const run = ++runs
          if (run > 1) await sleep(100)
          setHeader(response, 'cache-control', 'max-age=1, stale-while-revalidate=30')
          setHeader(response, 'etag', `"v${run}"`)
          return `version ${run}`
        }
      }
      @Module({ imports: [cacheModule()], controllers: [Versioned] })
      class App {}
      const base = await serve(App, platform)
      await send(`${base}/v`)
      await sleep(1100)
      const stale = await send(`${base}/v`)
      expect([stale.headers['x-cache'], stale.headers.etag, stale.text]).toEqual([
        'STALE',
        '"v1"',
        'version 1',
      ])
      await sleep(300)
      const fresh = await send(`${base}/v`)
      expect([fresh.headers['x-cache'], fresh.headers.etag, fresh.text]).toEqual([
        'HIT',
        '"v2"',
        'version 2',
      ])
    })

    it('invalidates a URL through the injected interceptor, and passes a POST through', async () => {
      let runs = 0
      @Controller()
      @UseInterceptors(CacheGuardInterceptor)
      class Items {
        constructor(@Inject(CacheGuardInterceptor) private readonly cache: CacheGuardInterceptor) {}
        @Get('items/:id')
        @Header('Cache-Control', 'max-age=60')
        item(@Param('id') id: string) {
          return { id, run: ++runs }
        }
        @Post('reset/:id')
        async reset(@Param('id') id: string) {
          await this.cache.invalidate(`/items/${id}`)
          return { reset: id }
        }
      }
      @Module({ imports: [cacheModule()], controllers: [Items] })
      class App {}
      const base = await serve(App, platform)
      await send(`${base}/items/1`)
      expect((await send(`${base}/items/1`)).headers['x-cache']).toBe('HIT')
      const reset = await send(`${base}/reset/1`, { method: 'POST' })
      expect([reset.status, reset.headers['x-cache']]).toEqual([201, 'BYPASS'])
      const after = await send(`${base}/items/1`)
      expect([after.headers['x-cache'], JSON.parse(after.text).run]).toEqual(['MISS', 2])
    })

    it('refuses bad @CacheRoute options when the app starts, naming the handler', async () => {
      @Controller()
      class Bad {
        @Get('x')
        @CacheRoute({ ttl: -1 })
        x() {
          return 'x'
        }
      }
      @Module({ imports: [cacheModule()], controllers: [Bad] })
      class App {}
      const { app } = nestListener(App, platform)
      await expect(app).rejects.toThrow(
        'In @CacheRoute() of Bad.x: Expected `ttl` to be a positive',
      )
    })
  },
)

describe('CacheGuardModule', () => {
  it('refuses a missing cache and bad or unknown options where forRoot is called', () => {
    const cache = createCache({ store: memoryStore() })
    expect(() => CacheGuardModule.forRoot({} as CacheGuardModuleOptions)).toThrow(
      'Expected `cache` to be a cache from createCache()',
    )
    expect(() => CacheGuardModule.forRoot({ cache, maxAge: 60 } as never)).toThrow(
      'Unknown option `maxAge`',
    )
    expect(() => CacheGuardModule.forRoot({ cache, global: 'yes' as never })).toThrow(
      'Expected `global` to be a boolean',
    )
    expect(() => CacheGuardModule.forRootAsync({ useFactory: 'cache' as never })).toThrow(
      'Expected `useFactory` to be a function',
    )
  })

  it('takes its options from a factory with forRootAsync, and checks them when the app starts', async () => {
    @Controller()
    class Hello {
      @Get('hello')
      hello() {
        return 'hello'
      }
    }
    const CACHE = Symbol('cache')
    @Module({
      providers: [{ provide: CACHE, useValue: createCache({ store: memoryStore() }) }],
      exports: [CACHE],
    })
    class Caches {}
    @Module({
      imports: [
        CacheGuardModule.forRootAsync({
          global: true,
          imports: [Caches],
          inject: [CACHE],
          useFactory: (cache: never) => ({ cache, ttl: '1m' }),
        }),
      ],
      controllers: [Hello],
    })
    class App {}
    const base = await serve(App, 'express')
    await send(`${base}/hello`)
    expect((await send(`${base}/hello`)).headers['x-cache']).toBe('HIT')

    @Module({
      imports: [
        CacheGuardModule.forRootAsync({ useFactory: () => ({ cache: undefined as never }) }),
      ],
    })
    class Broken {}
    await expect(nestListener(Broken, 'express').app).rejects.toThrow('Expected `cache`')
  })
})
