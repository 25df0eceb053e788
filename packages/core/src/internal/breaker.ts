/** The states of a circuit breaker, as the `breaker` event reports them. */
export type BreakerState = 'closed' | 'open' | 'half-open'

/**
 * A circuit breaker in front of a remote store. Closed, every call goes through and consecutive
 * failures are counted; at `failures` it opens, and for `openForMs` calls are refused at once
 * (no per-request timeout while the store is down). Then it is half-open: one call goes through
 * as a probe; its success closes the breaker, its failure opens it again.
 *
 * With the store's `ready`, the client's own reconnection paces the probe: while it says not
 * ready the breaker stays open, past `openForMs` too (a probe could only wait on a reconnecting
 * client and fail), and once it is ready again after that, the probe goes at once.
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

/**
 * Creates a breaker; `onChange` hears every change of state, and `ready`, when given, is the
 * store's own (`CacheStore.ready`).
 *
 * @example
 * const breaker = createBreaker(5, 5000, (state) => emit(state), () => store.ready!())
 */
export function createBreaker(
  failures: number,
  openForMs: number,
  onChange: (state: BreakerState, failures: number) => void,
  ready?: () => boolean,
): Breaker {
  let state: BreakerState = 'closed'
  let consecutive = 0
  let openedAt = 0
  // Whether the store said it was not ready since the breaker opened: its being ready again is
  // then news, and the probe need not wait out `openForMs`. A store that stays ready through the
  // failures (a slow or overloaded server) gets the full open period.
  let wasNotReady = false
  let probing = false
  let lastCause: unknown
  // Only a plain `false` counts: a store whose `ready` throws or answers something else cannot
  // tell, and gets the timer alone.
  const notReady = (): boolean => {
    try {
      return ready !== undefined && ready() === false
    } catch {
      return false
    }
  }
  const move = (next: BreakerState) => {
    state = next
    onChange(next, consecutive)
  }
  return {
    allow() {
      if (state === 'closed') return true
      if (state === 'open') {
        if (notReady()) {
          wasNotReady = true
          return false
        }
        if (!wasNotReady && Date.now() - openedAt < openForMs) return false
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
        wasNotReady = notReady()
        move('open')
      }
    },
    get state() {
      return state
    },
  }
}
