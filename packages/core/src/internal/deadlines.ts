/** A pending operation that must settle before its deadline (times on the monotonic clock). */
export interface Deadline {
  /** Set by the operation when it settles, so the deadline no longer fires. */
  settled: boolean
  readonly at: number
  readonly onTimeout: () => void
}

/** Deadlines of one length, all served by one timer. */
export interface Deadlines {
  readonly timeoutMs: number
  /** Calls `onTimeout` `timeoutMs` from now unless the returned deadline is settled first. */
  watch(onTimeout: () => void): Deadline
}

/**
 * One timer for every store call of a cache instead of a `setTimeout` and `clearTimeout` per call,
 * which cost more than the rest of a hit's bookkeeping. All deadlines have the same length, so
 * they expire in the order they were set: a queue, with settled ones skipped when the timer fires.
 */
export function createDeadlines(timeoutMs: number): Deadlines {
  let queue: Deadline[] = []
  let head = 0
  let timer: NodeJS.Timeout | undefined

  const arm = (ms: number): void => {
    timer = setTimeout(fire, Math.max(1, ms))
    // A pending store call must never keep the process alive on its own.
    timer.unref()
  }
  const fire = (): void => {
    timer = undefined
    const now = performance.now()
    while (head < queue.length) {
      const deadline = queue[head]!
      if (!deadline.settled && deadline.at > now) break
      head++
      if (!deadline.settled) {
        deadline.settled = true
        deadline.onTimeout()
      }
    }
    if (head === queue.length) {
      queue = []
      head = 0
      return
    }
    if (head > 1024) {
      queue = queue.slice(head)
      head = 0
    }
    arm(queue[head]!.at - now)
  }

  return {
    timeoutMs,
    watch(onTimeout) {
      const deadline: Deadline = { settled: false, at: performance.now() + timeoutMs, onTimeout }
      queue.push(deadline)
      if (timer === undefined) arm(timeoutMs)
      return deadline
    },
  }
}
