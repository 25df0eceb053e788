import type { InvalidationBus, InvalidationMessage } from '@cacheguard/core'
import type { Cluster, Redis } from 'ioredis'

/** Options of `redisBus`. */
export interface RedisBusOptions {
  /**
   * A connection of its own for SUBSCRIBE (a Redis connection that subscribes can run nothing
   * else): `redis.duplicate()`. Required; the bus never opens one behind your back.
   */
  subscriber: Redis | Cluster
  /** The pub/sub channel; caches that share it invalidate each other. @default 'cacheguard:invalidate' */
  channel?: string
}

/** The bus `redisBus` returns: an `InvalidationBus`, and a way to know it is listening. */
export interface RedisBus extends InvalidationBus {
  /** Resolves once the subscription is active (messages published before that are not heard). */
  ready(): Promise<void>
}

/**
 * An invalidation bus over Redis pub/sub, so that a write or delete in one process drops the
 * memory-tier copies of the others. The keys written in one tick go out as one PUBLISH.
 * Delivery is at most once (pub/sub keeps nothing for a disconnected subscriber): memory copies
 * still expire with their entries, so a missed message means a copy lives until then, no longer.
 *
 * @example
 * const bus = redisBus(redis, { subscriber: redis.duplicate() })
 * const cache = createCache({ store: redisStore(redis), l1: memoryStore({ maxEntries: 10_000 }), bus })
 */
export function redisBus(client: Redis | Cluster, options: RedisBusOptions): RedisBus {
  const { subscriber, channel = 'cacheguard:invalidate' } = options ?? ({} as RedisBusOptions)
  if (typeof client?.publish !== 'function') {
    throw new TypeError('Expected `client` to be an ioredis Redis or Cluster instance')
  }
  if (typeof subscriber?.subscribe !== 'function' || subscriber === client) {
    throw new TypeError(
      'Expected `subscriber` to be a connection of its own, such as `redis.duplicate()`',
    )
  }
  if (typeof channel !== 'string' || channel === '') {
    throw new TypeError(`Expected \`channel\` to be a non-empty string, got \`${String(channel)}\``)
  }

  const listeners = new Set<(message: InvalidationMessage) => void>()
  let subscription: Promise<void> | undefined
  let listening = false
  const onMessage = (from: string, text: string) => {
    if (from !== channel) return
    const message = parse(text)
    if (message === undefined) return
    for (const listener of listeners) {
      try {
        listener(message)
      } catch {
        // One cache's failure must not keep the others from hearing the message.
      }
    }
  }

  // Keys published in one tick, by origin, sent as one message each when the tick ends.
  let pending: Map<string, string[]> | undefined
  let flushed: Promise<void> | undefined
  const flush = async () => {
    const batch = pending!
    pending = undefined
    await Promise.all(
      [...batch].map(([origin, keys]) =>
        client.publish(channel, JSON.stringify({ origin, keys } satisfies InvalidationMessage)),
      ),
    )
  }

  const subscribed = (): Promise<void> => {
    if (subscription === undefined) {
      if (!listening) subscriber.on('message', onMessage)
      listening = true
      const attempt = subscriber.subscribe(channel).then(() => undefined)
      subscription = attempt
      // ioredis subscribes again after a reconnect only to channels whose SUBSCRIBE succeeded.
      // One that failed (Redis down at boot) is tried again when the connection is next ready,
      // so the bus does not stay deaf; ready() shows the failure meanwhile.
      attempt.catch(() => {
        if (subscription === attempt) subscription = undefined
        subscriber.once('ready', () => {
          if (subscription === undefined && listeners.size > 0) void subscribed().catch(() => {})
        })
      })
    }
    return subscription
  }

  return {
    publish(message) {
      // Invalidations of tags and clears go out at once, each as a message of its own.
      if (message.records !== undefined && message.records.length > 0) {
        return client
          .publish(
            channel,
            JSON.stringify({
              origin: message.origin,
              keys: message.keys,
              records: message.records,
            }),
          )
          .then(() => undefined)
      }
      if (pending === undefined) {
        pending = new Map()
        flushed = new Promise<void>((resolve) => process.nextTick(resolve)).then(flush)
      }
      const keys = pending.get(message.origin)
      if (keys) keys.push(...message.keys)
      else pending.set(message.origin, [...message.keys])
      return flushed
    },

    subscribe(listener) {
      listeners.add(listener)
      subscribed()
      return () => {
        listeners.delete(listener)
      }
    },

    ready: subscribed,
  }
}

function parse(text: string): InvalidationMessage | undefined {
  try {
    const message = JSON.parse(text) as InvalidationMessage
    if (typeof message?.origin !== 'string' || !Array.isArray(message.keys)) return undefined
    if (message.records !== undefined && !validRecords(message.records)) return undefined
    return message.keys.every((key) => typeof key === 'string') ? message : undefined
  } catch {
    // Someone else's message on our channel: not ours to act on.
    return undefined
  }
}

function validRecords(records: unknown): boolean {
  return (
    Array.isArray(records) &&
    records.every(
      (record) =>
        typeof record === 'object' &&
        record !== null &&
        ['delete', 'expire', 'clear'].includes(record.kind) &&
        typeof record.namespace === 'string' &&
        Array.isArray(record.tags) &&
        record.tags.every((tag: unknown) => typeof tag === 'string') &&
        Number.isFinite(record.at),
    )
  )
}
