// One process of the stampede scenario, forked by stampede.ts and driven over IPC (not run by
// hand). It holds one Redis connection for the cache and the lock, and one for the lock's wake-ups.
import { createCache } from '@cacheguard/core'
import { type LockGuard, lockGuard } from '@cacheguard/lock'
import { redisStore } from '@cacheguard/redis'
import { Redlock } from '@sesamecare-oss/redlock'
import { Redis } from 'ioredis'
import { fakeDb } from './fake-db.js'
import type { ChildAnswer, ParentMessage, RoundMessage } from './stampede.js'

if (!process.send) {
  console.error(
    'stampede-child.ts is started by the storm demo: npm run demo -- --scenario stampede',
  )
  process.exit(2)
}

let connections: { redis: Redis; subscriber: Redis; guard: LockGuard } | undefined
let closing: Promise<void> | undefined

const answer = (message: ChildAnswer) => {
  // After a close (or a parent that died) there is nobody left to answer.
  if (process.connected) process.send?.(message)
}

process.on('message', (message: ParentMessage) => {
  const handle = async () => {
    if (message.type === 'setup') answer(await setup(message.url))
    else if (message.type === 'round') answer(await round(message))
    else await close()
  }
  handle().catch((error: unknown) => {
    answer({ type: 'error', message: error instanceof Error ? error.message : String(error) })
  })
})
// The parent is gone (it failed or was killed): nobody will ask us to close.
process.on('disconnect', () => void close())

async function setup(url: string): Promise<ChildAnswer> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  const subscriber = redis.duplicate()
  const guard = lockGuard({ redlock: new Redlock([redis]), redis, subscriber })
  connections = { redis, subscriber, guard }
  await guard.ready()
  // Connected both ways before the parent counts us in.
  await redis.ping()
  return { type: 'ready' }
}

/** At `at`, `callers` concurrent getOrSet for the hot key, each timed; every query is recorded. */
async function round(message: RoundMessage): Promise<ChildAnswer> {
  if (!connections) throw new Error('asked for a round before its setup')
  const { redis, guard } = connections
  const cache = createCache({
    store: redisStore(redis, { prefix: message.prefix }),
    guards: message.mode === 'lock' ? [guard] : [],
    ttl: '1m',
  })
  const db = fakeDb({ latencyMs: message.latencyMs })
  const queries: Array<[number, number]> = []
  const load = async () => {
    const started = now()
    try {
      return await db.findUser(42)
    } finally {
      queries.push([started, now()])
    }
  }
  await new Promise((resolve) => setTimeout(resolve, message.at - Date.now()))
  const latencies: number[] = []
  let errors = 0
  await Promise.all(
    Array.from({ length: message.callers }, async () => {
      const sent = performance.now()
      try {
        const user =
          message.mode === 'plain'
            ? await cacheAside(redis, message, load)
            : await cache.getOrSet(message.key, load)
        if (user?.id !== 42) errors++
      } catch {
        errors++
      }
      latencies.push(performance.now() - sent)
    }),
  )
  const lock = message.mode === 'lock' ? guard.stats() : undefined
  return { type: 'result', latencies, errors, queries, ...(lock ? { lock } : {}) }
}

/** Plain cache-aside, as most apps write it: get; on a miss, query the database, then set. */
async function cacheAside(
  redis: Redis,
  message: RoundMessage,
  load: () => Promise<{ id: number } | null>,
): Promise<{ id: number } | null> {
  const key = `${message.prefix}${message.key}`
  const cached = await redis.get(key)
  if (cached) return JSON.parse(cached) as { id: number }
  const user = await load()
  await redis.set(key, JSON.stringify(user), 'PX', 60_000)
  return user
}

function close(): Promise<void> {
  closing ??= (async () => {
    if (connections) {
      const { redis, subscriber, guard } = connections
      await guard.close()
      await Promise.allSettled([subscriber.quit(), redis.quit()])
    }
    // With the IPC channel closed too, nothing is left to keep this process alive.
    if (process.connected) process.disconnect()
  })()
  return closing
}

/** Wall-clock milliseconds with performance.now()'s precision, comparable across processes. */
function now(): number {
  return performance.timeOrigin + performance.now()
}
