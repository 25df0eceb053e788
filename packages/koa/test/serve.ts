import type { IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CacheOptions, createCache } from '@cacheguard/core'
import { type Reply, type Send, send } from '@cacheguard/http/testing'
import type Koa from 'koa'
import { onTestFinished } from 'vitest'
import { redisStores } from '../../../test/helpers/redis-stores.js'

export { type Reply, sleep } from '@cacheguard/http/testing'

/**
 * A cache over the test Redis, under a prefix of its own; call at the top of a test file.
 * Returns a factory: each call gives a cache under a fresh prefix, so tests share nothing.
 */
export function redisCaches(
  label: string,
): (options?: CacheOptions) => ReturnType<typeof createCache> {
  const stores = redisStores(label)
  // The tests count handler runs exactly: a Redis call held up by a busy machine must not time
  // out (the default is 500 ms) and turn into an extra run.
  return (options = {}) =>
    createCache({ store: stores(), jitter: 0, storeTimeout: '5s', ...options })
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
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    send: (path: string, options: Send = {}): Promise<Reply> => send(`${url}${path}`, options),
  }
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
