/** Runs at most `concurrency` tasks at once, with at most `queueSize` waiting for a slot. */
export interface Limiter {
  readonly active: number
  readonly queued: number
  /** Runs `task` now or when a slot frees; `undefined` when the queue is full (overloaded). */
  run<T>(task: () => Promise<T>): Promise<T> | undefined
}

// Our own ~30 lines rather than p-limit: core depends on nothing heavier than lru-cache (see
// DESIGN), and it needs the bounded queue that p-limit leaves to its caller.
export function createLimiter(concurrency: number, queueSize: number): Limiter {
  let active = 0
  const waiting: Array<() => void> = []
  const release = (): void => {
    active--
    const next = waiting.shift()
    if (next) next()
  }
  const start = <T>(task: () => Promise<T>): Promise<T> => {
    active++
    let pending: Promise<T>
    try {
      pending = task()
    } catch (error) {
      pending = Promise.reject(error)
    }
    return pending.finally(release)
  }
  return {
    get active() {
      return active
    },
    get queued() {
      return waiting.length
    },
    run(task) {
      if (active < concurrency) return start(task)
      if (waiting.length >= queueSize) return undefined
      return new Promise((resolve, reject) => {
        waiting.push(() => start(task).then(resolve, reject))
      })
    },
  }
}
