// The shared HTTP scenario suite over Koa: the scenario's handler as the middleware after
// koaCache; what it throws goes to Koa's own error handling.
import { Readable } from 'node:stream'
import { describeHttpScenarios, paced } from '@cacheguard/http/testing'
import Koa from 'koa'
import { redisOutage } from '../../../test/helpers/redis-outage.js'
import { redisStores } from '../../../test/helpers/redis-stores.js'
import { koaCache } from './index.js'

describeHttpScenarios({
  name: 'koa',
  store: redisStores('koa-scenarios'),
  outage: redisOutage,
  serve(cache, handler, options) {
    const app = new Koa()
    app.silent = true
    app.use(koaCache(cache, options))
    app.use(async (ctx) => {
      const answer = await handler({ method: ctx.method, url: ctx.url, headers: ctx.headers })
      ctx.status = answer.status ?? 200
      ctx.set(answer.headers ?? {})
      const body = answer.body ?? ''
      if (answer.chunks !== undefined) ctx.body = Readable.from(paced(answer.chunks))
      else ctx.body = typeof body === 'string' ? body : Buffer.from(body)
    })
    return app.callback()
  },
})
