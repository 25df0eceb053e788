/** The states of a circuit breaker, as the `breaker` event reports them. */
export type BreakerState = 'closed' | 'open' | 'half-open'

/**
 * A circuit breaker in front of a remote store. Closed, every call goes through and consecutive
 * failures are counted; at `failures` it opens, and for `openForMs` calls are refused at once
 * (no per-request timeout while the store is down). Then it is half-open: one call goes through
 * as a probe; its success closes the breaker, its failure opens it again.
 */
export interface Breaker {
  /** Whether a call may go to the store now (a half-open breaker lets one probe through). */
  allow(): boolean
  /** A call succeeded. Ignored while open: a late answer to a call sent before it opened is no probe. */
  succeeded(): void
  /** A call failed; the callers of one failed command pass the same `cause`, which counts once. */
  failed(cause?: unknown): void
  readonly state: BreakerState
}

/** Creates a breaker; `onChange` hears every change of state. */
export function createBreaker(
  failures: number,
  openForMs: number,
  onChange: (state: BreakerState, failures: number) => void,
): Breaker {
  let state: BreakerState = 'closed'
  let consecutive = 0
  let openedAt = 0
  let probing = false
  let lastCause: unknown
  const move = (next: BreakerState) => {
    state = next
    onChange(next, consecutive)
  }
  return {
    allow() {
      if (state === 'closed') return true
      if (state === 'open') {
        if (Date.now() - openedAt < openForMs) return false
        move('half-open')
        probing = false
      }
      if (probing) return false
      probing = true
      return true
    },
    succeeded() {
      if (state === 'open') return
      consecutive = 0
      lastCause = undefined
      if (state !== 'closed') move('closed')
    },
    failed(cause) {
      if (cause !== undefined && cause === lastCause) return
      lastCause = cause
      consecutive++
      if (state === 'half-open' || (state === 'closed' && consecutive >= failures)) {
        openedAt = Date.now()
        move('open')
      }
    },
    get state() {
      return state
    },
  }
}
