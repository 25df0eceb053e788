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

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    // An abort wakes the waiter at once; the caller checks the signal before starting.
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })
}
