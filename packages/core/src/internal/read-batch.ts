import { StoreError, StoreTimeoutError } from '../errors.js'
import type { CacheStore } from '../store.js'

/** Reads one key through the batcher: resolves the raw stored text, rejects with typed errors. */
export type BatchedRead = (storeKey: string, key: string) => Promise<unknown>

interface Waiter {
  key: string
  resolve(raw: unknown): void
  reject(error: Error): void
}

/**
 * Sends the store reads issued in one tick as few commands as possible. The first read of a tick
 * goes out at once as a plain `get`, so a lone caller waits for nothing; the reads that follow it
 * in the same tick are collected and sent together as one `getMany` (one `MGET`, or one per hash
 * slot on a Cluster) on `process.nextTick`, after the promise continuations that issued them.
 * Each caller gets its own answer.
 *
 * One timer bounds each command; a command that fails or times out rejects only its own callers.
 */
// A burst of reads goes out as several commands of at most this many keys, so that no single
// MGET keeps a single-threaded Redis busy for long, and replies start flowing back sooner.
const MAX_BATCH = 256

export function createReadBatcher(store: CacheStore, timeoutMs: number): BatchedRead {
  let keys: string[] = []
  let waiters: Waiter[] = []
  let windowOpen = false

  const closeWindow = (): void => {
    windowOpen = false
    if (keys.length === 0) return
    const batchKeys = keys
    const batchWaiters = waiters
    keys = []
    waiters = []
    send(batchKeys, batchWaiters)
  }

  const send = (batchKeys: string[], batchWaiters: Waiter[]): void => {
    let done = false
    const timer = setTimeout(() => {
      done = true
      for (const w of batchWaiters) w.reject(new StoreTimeoutError('read', w.key, timeoutMs))
    }, timeoutMs)
    // A pending store call must never keep the process alive on its own.
    timer.unref()
    const fail = (error: unknown): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      for (const w of batchWaiters) w.reject(new StoreError('read', w.key, error))
    }
    let pending: Promise<unknown>
    try {
      pending = batchKeys.length === 1 ? store.get(batchKeys[0]!) : store.getMany!(batchKeys)
    } catch (error) {
      fail(error)
      return
    }
    Promise.resolve(pending).then((answer) => {
      if (done) return
      if (batchKeys.length === 1) {
        done = true
        clearTimeout(timer)
        batchWaiters[0]!.resolve(answer)
        return
      }
      if (!Array.isArray(answer) || answer.length !== batchKeys.length) {
        fail(new Error(`getMany answered ${describe(answer)} for ${batchKeys.length} keys`))
        return
      }
      done = true
      clearTimeout(timer)
      for (let i = 0; i < batchWaiters.length; i++) batchWaiters[i]!.resolve(answer[i])
    }, fail)
  }

  return (storeKey, key) =>
    new Promise<unknown>((resolve, reject) => {
      if (!windowOpen) {
        windowOpen = true
        process.nextTick(closeWindow)
        send([storeKey], [{ key, resolve, reject }])
        return
      }
      keys.push(storeKey)
      waiters.push({ key, resolve, reject })
      if (keys.length >= MAX_BATCH) {
        const batchKeys = keys
        const batchWaiters = waiters
        keys = []
        waiters = []
        send(batchKeys, batchWaiters)
      }
    })
}

function describe(answer: unknown): string {
  return Array.isArray(answer) ? `${answer.length} values` : `a ${typeof answer}`
}
