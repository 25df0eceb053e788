import type { Cluster, Redis } from 'ioredis'

/** Wakes the processes waiting for a key when its lock holder is done, over Redis pub/sub. */
export interface Wakeups {
  /**
   * Starts listening for `storeKey`'s announcements, for the whole of a wait: one that comes while
   * the waiter is busy (re-reading the store, retrying the lock) is kept, not lost.
   */
  watch(storeKey: string): Watch
  /** Announces that the holder of `storeKey` is done (the value written, or the load failed). */
  announce(storeKey: string): Promise<void>
  /** Resolves once the subscription is active; at once when there is no subscriber. */
  ready(): Promise<void>
  /** Stops listening (the connections stay the user's). */
  close(): Promise<void>
}

/** One waiter's interest in a key. */
export interface Watch {
  /** Resolves at the next announcement (at once if one came since the last wait), after `ms`, or when `signal` aborts; never rejects. */
  wait(ms: number, signal: AbortSignal): Promise<void>
  /** Stops watching. */
  close(): void
}

interface Watcher {
  announced: boolean
  wake: (() => void) | undefined
}

/**
 * Pub/sub wake-ups, when both connections are given; without them, waits are plain timers and
 * waiters poll. Delivery is at most once: a lost message costs a waiter one poll interval.
 */
export function wakeups(
  publisher: Redis | Cluster | undefined,
  subscriber: Redis | Cluster | undefined,
  channel: string,
): Wakeups {
  const watching = new Map<string, Set<Watcher>>()
  const wake = (storeKey: string) => {
    for (const watcher of watching.get(storeKey) ?? []) {
      watcher.announced = true
      watcher.wake?.()
    }
  }
  const onMessage = (from: string, text: string) => {
    if (from === channel) wake(text)
  }
  let subscribed: Promise<void> = Promise.resolve()
  if (subscriber !== undefined) {
    subscriber.on('message', onMessage)
    // A failed SUBSCRIBE leaves waiters polling; ioredis subscribes again after a reconnect.
    subscribed = subscriber.subscribe(channel).then(
      () => undefined,
      () => undefined,
    )
  }
  return {
    watch(storeKey) {
      const watcher: Watcher = { announced: false, wake: undefined }
      let watchers = watching.get(storeKey)
      if (watchers === undefined) {
        watchers = new Set()
        watching.set(storeKey, watchers)
      }
      watchers.add(watcher)
      return {
        wait(ms, signal) {
          return new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer)
              signal.removeEventListener('abort', done)
              watcher.wake = undefined
              watcher.announced = false
              resolve()
            }
            const timer = setTimeout(done, Math.max(1, ms))
            signal.addEventListener('abort', done, { once: true })
            watcher.wake = done
            if (watcher.announced || signal.aborted) done()
          })
        },
        close() {
          watchers.delete(watcher)
          if (watchers.size === 0 && watching.get(storeKey) === watchers) watching.delete(storeKey)
        },
      }
    },
    async announce(storeKey) {
      // Waiters in this process need no round trip.
      wake(storeKey)
      if (publisher !== undefined && subscriber !== undefined) {
        await publisher.publish(channel, storeKey)
      }
    },
    ready: () => subscribed,
    async close() {
      if (subscriber === undefined) return
      subscriber.off('message', onMessage)
      await subscriber.unsubscribe(channel).catch(() => {})
    },
  }
}
