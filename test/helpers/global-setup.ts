import type { TestProject } from 'vitest/node'
import { pings, type RedisServer, startRedisServer } from './redis-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string
  }
}

/**
 * Makes sure the tests have a Redis: `REDIS_URL`, else 127.0.0.1:6379, else a throwaway
 * `redis-server` on a free port that is stopped when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const wanted = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  let server: RedisServer | undefined
  let url = wanted
  if (!(await pings(wanted))) {
    if (process.env.REDIS_URL) throw new Error(`REDIS_URL=${wanted} does not answer PING`)
    server = await startRedisServer().catch((error: unknown) => {
      throw new Error(
        `No Redis answers at ${wanted} and redis-server could not be started (${String(error)}). ` +
          'Install Redis (apt-get install redis-server) or set REDIS_URL.',
      )
    })
    url = server.url
  }
  project.provide('redisUrl', url)
  return async () => {
    await server?.stop()
  }
}
