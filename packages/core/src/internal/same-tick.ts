import { StoreTimeoutError } from '../errors.js'
import type { CacheStore, StoreEntry } from '../store.js'
import type { Deadlines } from './deadlines.js'
import { storeError } from './store-call.js'

/**
 * Sends one item through a batcher; resolves its own answer, rejects with typed errors.
 * `gather()` holds the items sent until the next tick, the first one included, to go as one.
 */
export type Batched<I> = ((item: I, key: string) => Promise<unknown>) & { gather(): void }

interface Waiter {
  key: string
  resolve(answer: unknown): void
  reject(error: Error): void
}

interface BatcherOptions<I> {
  /** `'read'` or `'write'`, for the errors. */
  operation: string
  deadlines: Deadlines
  /** One item as one command. */
  one(item: I): Promise<unknown>
  /** Many items as one command; answers one value per item, in order, or throws. */
  many(items: I[]): Promise<unknown[]>
}

// A burst goes out as several commands of at most this many keys, so that no single MGET or
// pipeline keeps a single-threaded Redis busy for long, and replies start flowing back sooner.
const MAX_BATCH = 256

/**
 * Sends the store calls issued in one tick as few commands as possible. The first call of a tick
 * goes out at once on its own, so a lone caller waits for nothing; the calls that follow it in the
 * same tick are collected and sent together on `process.nextTick`, after the promise continuations
 * that issued them. Each caller gets its own answer.
 *
 * A deadline bounds each command; a command that fails or times out rejects only its own callers.
 */
function createBatcher<I>(options: BatcherOptions<I>): Batched<I> {
  const { operation, deadlines } = options
  let items: I[] = []
  let waiters: Waiter[] = []
  let windowOpen = false

  const take = (): void => {
    const batchItems = items
    const batchWaiters = waiters
    items = []
    waiters = []
    send(batchItems, batchWaiters)
  }
  const closeWindow = (): void => {
    windowOpen = false
    if (items.length > 0) take()
  }

  const send = (batchItems: I[], batchWaiters: Waiter[]): void => {
    const deadline = deadlines.watch(() => {
      for (const w of batchWaiters) {
        w.reject(new StoreTimeoutError(operation, w.key, deadlines.timeoutMs))
      }
    })
    const fail = (error: unknown): void => {
      if (deadline.settled) return
      deadline.settled = true
      for (const w of batchWaiters) w.reject(storeError(operation, w.key, error))
    }
    const settle = (answers: unknown[]): void => {
      if (deadline.settled) return
      deadline.settled = true
      for (let i = 0; i < batchWaiters.length; i++) batchWaiters[i]!.resolve(answers[i])
    }
    try {
      if (batchItems.length === 1) {
        Promise.resolve(options.one(batchItems[0]!)).then((answer) => settle([answer]), fail)
      } else {
        Promise.resolve(options.many(batchItems)).then(settle, fail)
      }
    } catch (error) {
      fail(error)
    }
  }

  const batched = (item: I, key: string) =>
    new Promise<unknown>((resolve, reject) => {
      if (!windowOpen) {
        windowOpen = true
        process.nextTick(closeWindow)
        send([item], [{ key, resolve, reject }])
        return
      }
      items.push(item)
      waiters.push({ key, resolve, reject })
      if (items.length >= MAX_BATCH) take()
    })
  // A caller that knows many items follow (getMany, getOrSetMany) opens the window itself: its
  // first item waits for the others rather than going out alone.
  const gather = () => {
    if (windowOpen) return
    windowOpen = true
    process.nextTick(closeWindow)
  }
  return Object.assign(batched, { gather })
}

/** Same-tick reads as one `getMany` (one `MGET`, or one pipeline per node on a Cluster). */
export function createReadBatcher(store: CacheStore, deadlines: Deadlines): Batched<string> {
  return createBatcher<string>({
    operation: 'read',
    deadlines,
    one: (storeKey) => store.get(storeKey),
    many: (storeKeys) => readAll(store, storeKeys),
  })
}

/** `getMany` of every key, checked: one value per key in order, or a failure. */
export async function readAll(store: CacheStore, storeKeys: readonly string[]): Promise<unknown[]> {
  const answer: unknown = await store.getMany!(storeKeys)
  if (!Array.isArray(answer) || answer.length !== storeKeys.length) {
    const got = Array.isArray(answer) ? `${answer.length} values` : `a ${typeof answer}`
    throw new Error(`getMany answered ${got} for ${storeKeys.length} keys`)
  }
  return answer
}

/** Same-tick writes as one `setMany` (one pipeline, or one per node on a Cluster). */
export function createWriteBatcher(store: CacheStore, deadlines: Deadlines): Batched<StoreEntry> {
  return createBatcher<StoreEntry>({
    operation: 'write',
    deadlines,
    one: (entry) => store.set(entry.key, entry.value, entry.ttlMs),
    async many(entries) {
      await store.setMany!(entries)
      return []
    },
  })
}
