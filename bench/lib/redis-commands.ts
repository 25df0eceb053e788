// How many Redis commands an operation sends, from the server's own counters: what tells a read
// served by Redis from one served in process, or one coalesced with others.
import type { Redis } from 'ioredis'
import { type Operation, sample } from './measure.js'

/** Commands the Redis server has run (all of them but INFO, which reads the counters). */
export async function serverCommands(redis: Redis): Promise<number> {
  const stats = await redis.info('commandstats')
  let calls = 0
  for (const [, name, count] of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (name !== 'info') calls += Number(count)
  }
  return calls
}

/**
 * Redis commands per operation at `concurrency`: the lowest of 3 short runs, because the counters
 * are the whole server's and other clients of it can only add to them.
 *
 * @example
 * const perRead = await commandsPerOperation(redis, () => cache.getOrSet('user:1', load), 1)
 */
export async function commandsPerOperation(
  redis: Redis,
  operation: Operation,
  concurrency: number,
): Promise<number> {
  let lowest = Number.POSITIVE_INFINITY
  for (let trial = 0; trial < 3; trial++) {
    const before = await serverCommands(redis)
    const run = await sample(operation, concurrency, 0.1)
    lowest = Math.min(lowest, ((await serverCommands(redis)) - before) / run.ops)
  }
  return lowest
}
