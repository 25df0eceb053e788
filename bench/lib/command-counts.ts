// Which Redis commands an operation sends, by name, counted on the client that sends them: what
// tells a batch read of one MGET from one read per key, or a read from the writes after a miss.
// The server's INFO commandstats would count every client of a shared server; this counts ours.
import type { Redis } from 'ioredis'
import { type Operation, sample } from './measure.js'

/** Counts the commands one ioredis client sends, by name (lower case), pipelined ones included. */
export interface CommandCounter {
  /** The counts so far, a copy. */
  snapshot(): Map<string, number>
}

/**
 * Starts counting the commands `redis` sends: every command, pipelined or not, goes through its
 * `sendCommand`, which this wraps on the instance (nothing else of the client changes).
 *
 * @example
 * const counter = countCommands(redis)
 * const before = counter.snapshot()
 * await cache.getMany(keys)
 * console.log(commandsBetween(before, counter.snapshot())) // { mget: 1 }
 */
export function countCommands(redis: Redis): CommandCounter {
  const counts = new Map<string, number>()
  const send = redis.sendCommand.bind(redis)
  redis.sendCommand = ((command, ...rest) => {
    counts.set(command.name, (counts.get(command.name) ?? 0) + 1)
    return send(command, ...rest)
  }) as Redis['sendCommand']
  return { snapshot: () => new Map(counts) }
}

/**
 * The commands sent between two snapshots, divided by `per` (the operations run meanwhile), most
 * frequent first.
 */
export function commandsBetween(
  before: Map<string, number>,
  after: Map<string, number>,
  per = 1,
): Record<string, number> {
  const delta: Array<[string, number]> = []
  for (const [name, count] of after) {
    const sent = count - (before.get(name) ?? 0)
    if (sent > 0) delta.push([name, sent / per])
  }
  return Object.fromEntries(delta.sort((a, b) => b[1] - a[1]))
}

/**
 * Commands per operation of `operation` at `concurrency`, by name, over a short run.
 *
 * @example
 * const perCall = await sentPerOperation(counter, () => cache.getMany(keys), 1)
 */
export async function sentPerOperation(
  counter: CommandCounter,
  operation: Operation,
  concurrency: number,
): Promise<Record<string, number>> {
  const before = counter.snapshot()
  const run = await sample(operation, concurrency, 0.2)
  return commandsBetween(before, counter.snapshot(), run.ops)
}

/** `{ mget: 1, set: 0.5 }` as `mget 1.00, set 0.50`; `-` for none. */
export function formatCommands(commands: Record<string, number>): string {
  const parts = Object.entries(commands).map(([name, count]) => `${name} ${count.toFixed(2)}`)
  return parts.length > 0 ? parts.join(', ') : '-'
}
