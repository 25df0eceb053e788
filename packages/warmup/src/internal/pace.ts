/**
 * Spaces starts `1000 / ratePerSecond` ms apart: `await pace()` before each start. Starts are
 * booked in order, so concurrent callers never exceed the rate, and a slow task never lets a
 * burst through later (no accumulated credit).
 */
export function pacer(
  ratePerSecond: number | undefined,
  signal?: AbortSignal,
): () => Promise<void> {
  if (ratePerSecond === undefined) return () => Promise.resolve()
  const interval = 1000 / ratePerSecond
  let next = performance.now()
  return async () => {
    const at = Math.max(performance.now(), next)
    next = at + interval
    // Node's timers run on a millisecond clock and can fire a little early against
    // performance.now(): wait again until the booked start has really come.
    for (let wait = at - performance.now(); wait > 0; wait = at - performance.now()) {
      if (signal?.aborted) return
      await delay(Math.ceil(wait), signal)
    }
  }
}

/**
 * Waits `ms`, or until `signal` aborts (the caller checks the signal before starting). The abort
 * listener is removed when the timer fires: a long run must not pile one up per wait.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}
