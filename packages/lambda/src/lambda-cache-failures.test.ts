import { createServer } from 'node:net'
import { createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { connectRedis, uniquePrefix } from '../../../test/helpers/redis.js'
import { eventV1, eventV2 } from './fixtures/events.js'
import { harness, sleep } from './fixtures/harness.js'

const redis = connectRedis()
const prefix = uniquePrefix('lambda-failures')
let n = 0
const fresh = () => `${prefix}${++n}:`

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

const ok = (body: string, cacheControl = 'max-age=60') => ({
  statusCode: 200,
  headers: { 'content-type': 'text/plain', 'cache-control': cacheControl },
  body,
})

describe.each([
  { name: 'payload 1.0', event: eventV1 },
  { name: 'payload 2.0', event: eventV2 },
])('lambda cache | a failing handler | $name', ({ event }) => {
  it('rejects the invocation with the error the handler threw, and stores nothing', async () => {
    const failure = new Error('connection to the database lost')
    let failing = true
    const app = harness(redis, fresh(), async () => {
      await sleep(50)
      if (failing) throw failure
      return ok('back')
    })
    // Lambda reports a rejected handler as an invocation error; API Gateway answers 502 (REST)
    // or 500 (HTTP API). Waiters of the failed run fail with it: no empty 200 reaches anyone.
    const results = await Promise.allSettled([1, 2, 3].map(() => app.invoke(event())))
    for (const result of results) expect(result).toEqual({ status: 'rejected', reason: failure })
    expect(app.runs).toBe(1)
    failing = false
    const after = await app.invoke(event())
    expect(after).toMatchObject({ statusCode: 200, body: 'back', headers: { 'x-cache': 'MISS' } })
    expect(app.runs).toBe(2)
  })

  it('returns a 500 to every waiter of its run and stores none', async () => {
    const app = harness(redis, fresh(), async () => {
      await sleep(50)
      return { statusCode: 500, headers: { 'content-type': 'text/plain' }, body: 'boom' }
    })
    const results = await Promise.all([1, 2, 3].map(() => app.invoke(event())))
    for (const result of results) expect(result).toMatchObject({ statusCode: 500, body: 'boom' })
    expect(app.runs).toBe(1)
    await app.invoke(event())
    expect(app.runs).toBe(2)
  })
})

describe('lambda cache | failures', () => {
  it('fails the invocation for a malformed payload 1.0 result, as API Gateway would with 502', async () => {
    const app = harness(redis, fresh(), async () => ({ body: 'no status' }) as never)
    await expect(app.invoke(eventV1())).rejects.toThrow(/Expected the handler to resolve/)
  })

  it('answers from the handler, without hanging, when the Redis store is unreachable', async () => {
    const port = await closedPort()
    const down = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 })
    down.on('error', () => {})
    try {
      const cache = createCache({ store: redisStore(down), storeTimeout: '200ms' })
      const app = harness(redis, '', async () => ok('from the database'), {}, cache)
      const started = Date.now()
      for (let i = 0; i < 5; i++) {
        const result = await app.invoke(eventV2())
        expect(result).toMatchObject({ statusCode: 200, body: 'from the database' })
      }
      const [a, b] = await Promise.all([app.invoke(eventV1()), app.invoke(eventV1())])
      expect([a?.statusCode, b?.statusCode]).toEqual([200, 200])
      // Seven invocations, each held at most by storeTimeout: the bound catches a hang, not a
      // slow machine.
      expect(Date.now() - started).toBeLessThan(15_000)
    } finally {
      down.disconnect()
    }
  })

  it('answers 504 when the handler outlives handlerTimeout, and the URL works afterwards', async () => {
    let hang = true
    let finished = false
    const app = harness(
      redis,
      fresh(),
      async () => {
        if (hang) await sleep(1000)
        finished = true
        return ok('late')
      },
      { handlerTimeout: '200ms' },
    )
    expect((await app.invoke(eventV2())).statusCode).toBe(504)
    // Answered at the timeout, while the handler was still running.
    expect(finished).toBe(false)
    hang = false
    await sleep(900)
    // The late answer filled the cache.
    expect(await app.invoke(eventV2())).toMatchObject({ statusCode: 200, body: 'late' })
  })

  it('serves a stale copy at once within stale-while-revalidate; the refresh runs after', async () => {
    let version = 0
    let refreshed = () => {}
    const refresh = new Promise<void>((resolve) => {
      refreshed = resolve
    })
    const app = harness(redis, fresh(), async () => {
      const n = ++version
      await sleep(100)
      if (n === 2) refreshed()
      return ok(`v${n}`, 'max-age=1, stale-while-revalidate=30')
    })
    await app.invoke(eventV2())
    await sleep(1100)
    const stale = await app.invoke(eventV2())
    expect(stale).toMatchObject({ body: 'v1', headers: { 'x-cache': 'STALE' } })
    // The invocation has returned; the refresh (this invocation's handler) is still running. In
    // Lambda it would be frozen here, and finish on a later invocation of this environment.
    expect(app.runs).toBe(2)
    await refresh
    // Its answer is stored just after; until then the stale copy is served, and no run starts.
    const deadline = Date.now() + 3000
    let next = await app.invoke(eventV2())
    while (next.headers?.['x-cache'] !== 'HIT' && Date.now() < deadline) {
      await sleep(20)
      next = await app.invoke(eventV2())
    }
    expect(next).toMatchObject({ body: 'v2', headers: { 'x-cache': 'HIT' } })
    expect(app.runs).toBe(2)
  })
})

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
