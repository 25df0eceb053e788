import { createCache } from '@cacheguard/core'
import Koa from 'koa'
import { expectTypeOf, test } from 'vitest'
import { type KoaCacheMiddleware, koaCache } from './index.js'

test('koaCache fits an app with its own state and context types', () => {
  const app = new Koa<{ user?: string }, { requestId: string }>()
  const middleware = koaCache(createCache(), { ttl: '30s', varyBy: ['accept-language'] })
  app.use(middleware)
  expectTypeOf(middleware).toEqualTypeOf<KoaCacheMiddleware>()
  expectTypeOf(middleware.invalidate).toEqualTypeOf<(url: string) => Promise<void>>()
  // @ts-expect-error an unknown option is refused
  koaCache(createCache(), { tll: '30s' })
})
