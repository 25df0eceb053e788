/**
 * A load's abort signal, made when first asked for: an `AbortController` costs an event target
 * per load (4% of a cold list page's CPU in a profile), and most loads are never aborted, their
 * loaders never looking at the signal. Asked for after the abort, it comes already aborted.
 */
export interface LoadAbort {
  readonly signal: AbortSignal
  /** Why the load was aborted; `undefined` while it was not. */
  readonly reason: unknown
  /** Aborts the load with `reason` (the first reason wins, as with `AbortController`). */
  abort(reason: unknown): void
}

export function loadAbort(): LoadAbort {
  let controller: AbortController | undefined
  let aborted = false
  let why: unknown
  return {
    get signal() {
      if (controller === undefined) {
        controller = new AbortController()
        if (aborted) controller.abort(why)
      }
      return controller.signal
    },
    get reason() {
      return why
    },
    abort(reason) {
      if (aborted) return
      aborted = true
      why = reason
      controller?.abort(reason)
    },
  }
}
