import Koa, { type Middleware } from 'koa'
import { describe, expect, it } from 'vitest'
import { listen, redisCaches, sleep } from '../test/serve.js'
import { type KoaCacheOptions, koaCache } from './index.js'

const cacheFor = redisCaches('koa-background')

/**
 * An app whose upstream takes `upstreamMs` after the cache answered before Koa sends, and records
 * what it saw on ctx: the window in which a downstream still running could spoil the answer.
 */
async function serve(
  handler: (ctx: Koa.Context, run: number) => Promise<void>,
  options: KoaCacheOptions,
  upstreamMs: number,
) {
  const seen: string[] = []
  const slowUpstream: Middleware = async (ctx, next) => {
    await next()
    await sleep(upstreamMs)
    seen.push(`${ctx.status} ${ctx.response.get('X-Run') || '-'} ${String(ctx.body)}`)
  }
  const runs = { count: 0 }
  const app = new Koa()
    .use(slowUpstream)
    .use(koaCache(cacheFor(), options))
    .use((ctx) => handler(ctx, ++runs.count))
  return { ...(await listen(app)), runs, seen }
}

describe('koa cache | a downstream that outlives the answer', () => {
  it('refreshes a stale-while-revalidate entry in the background without touching the answered ctx', async () => {
    const { send, seen, runs } = await serve(
      async (ctx, run) => {
        ctx.set('X-Run', String(run))
        ctx.set('Cache-Control', 'max-age=1, stale-while-revalidate=30')
        if (run > 1) await sleep(50)
        ctx.body = `run ${run}`
      },
      {},
      300,
    )
    expect((await send('/swr')).text).toBe('run 1')
    await sleep(1100)
    const stale = await send('/swr')
    expect([stale.headers['x-cache'], stale.headers['x-run'], stale.text]).toEqual([
      'STALE',
      '1',
      'run 1',
    ])
    expect(runs.count).toBe(2)
    const fresh = await send('/swr')
    expect([fresh.headers['x-cache'], fresh.headers['x-run'], fresh.text]).toEqual([
      'HIT',
      '2',
      'run 2',
    ])
    expect(seen).toEqual(['200 1 run 1', '200 1 run 1', '200 2 run 2'])
  })

  it('sends the 504 untouched by a handler that answers late, and stores that late answer', async () => {
    const { send, seen } = await serve(
      async (ctx, run) => {
        if (run === 1) await sleep(250)
        ctx.set('X-Run', String(run))
        ctx.body = `run ${run}`
      },
      { handlerTimeout: 150 },
      300,
    )
    const timedOut = await send('/late')
    expect([timedOut.status, timedOut.headers['x-run'], timedOut.body.byteLength]).toEqual([
      504,
      undefined,
      0,
    ])
    const filled = await send('/late')
    expect([filled.headers['x-cache'], filled.text]).toEqual(['HIT', 'run 1'])
    expect(seen[0]).toBe('504 - ')
  })

  it('fails loudly for a handler that bypasses Koa (ctx.respond = false)', async () => {
    const errors: Error[] = []
    const app = new Koa().use(koaCache(cacheFor())).use((ctx) => {
      ctx.respond = false
      ctx.res.end('raw')
    })
    app.on('error', (error: Error) => errors.push(error))
    const { send } = await listen(app)
    const reply = await send('/raw')
    expect(reply.status).toBe(500)
    expect(errors[0]?.message).toMatch(/ctx\.respond = false/)
  })
})
