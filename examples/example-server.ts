// Starts an example server for the tests of the current file (or describe block), over the test
// Redis under a prefix of its own, and stops it (it must end by itself) and deletes its keys after.
import { afterAll, beforeAll, expect } from 'vitest'
import { connectRedis, redisUrl, uniquePrefix } from '../test/helpers/redis.js'
import { type ExampleServer, startExampleServer } from './run-example.js'
import { deleteKeys } from './storm/redis-probe.js'

/**
 * Registers the start of the example `file` (as `startExampleServer` runs it, with `PORT=0`) before
 * the tests of the current scope, and its stop after them; `env` is added to its environment.
 *
 * @example
 * const server = serveExample('./hono/server.ts', 'hono-example')
 * it('answers', async () => expect((await fetch(`${server.url}/stats`)).ok).toBe(true))
 */
export function serveExample(
  file: string,
  label: string,
  env: Record<string, string> = {},
): { readonly url: string; readonly output: string } {
  const redis = connectRedis()
  const prefix = uniquePrefix(label)
  let server: ExampleServer | undefined
  beforeAll(async () => {
    server = await startExampleServer(file, {
      REDIS_URL: redisUrl(),
      PORT: '0',
      CACHE_PREFIX: prefix,
      ...env,
    })
  })
  afterAll(async () => {
    // It closes the server, the cache and Redis, then ends by itself.
    if (server !== undefined) expect(await server.stop()).toBe(0)
    await deleteKeys(redis, `${prefix}*`)
  })
  return {
    get url() {
      return server!.url
    },
    get output() {
      return server!.output
    },
  }
}
