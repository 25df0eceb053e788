import { type IncomingHttpHeaders, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CacheOptions, createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import type Koa from 'koa'
import { afterAll, onTestFinished } from 'vitest'
import { connectRedis, uniquePrefix } from '../../../test/helpers/redis.js'

/** What came back over the socket: the raw body bytes, never decoded. */
export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  text: string
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A cache over the test Redis, under a prefix of its own; call at the top of a test file.
 * Returns a factory: each call gives a cache under a fresh prefix, so tests share nothing.
 */
export function redisCaches(
  label: string,
): (options?: CacheOptions) => ReturnType<typeof createCache> {
  const redis = connectRedis()
  const prefix = uniquePrefix(label)
  let n = 0
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(keys)
  })
  // The tests count handler runs exactly: a Redis call held up by a busy machine must not time
  // out (the default is 500 ms) and turn into an extra run.
  return (options = {}) =>
    createCache({
      store: redisStore(redis, { prefix: `${prefix}${++n}:` }),
      jitter: 0,
      storeTimeout: '5s',
      ...options,
    })
}

/** Starts `app` on a free loopback port for the current test; returns `get`-like helpers. */
export async function listen(app: Koa) {
  app.silent = true
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  onTestFinished(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  const { port } = server.address() as AddressInfo
  const send = (
    path: string,
    options: { method?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: options.method ?? 'GET',
          headers: options.headers,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', reject)
          res.on('end', () => {
            const body = Buffer.concat(chunks)
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body,
              text: body.toString(),
            })
          })
        },
      )
      req.on('error', reject)
      req.end()
    })
  return { url: `http://127.0.0.1:${port}`, send }
}

/** The headers a replay must repeat: all but the cache's own labels and the per-send ones. */
export function contentHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const {
    'x-cache': _x,
    'cache-status': _s,
    age: _a,
    date: _d,
    connection: _c,
    'keep-alive': _k,
    ...rest
  } = headers
  return rest
}
