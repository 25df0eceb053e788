import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type BreakerState, createBreaker } from './breaker.js'

describe('circuit breaker | states', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('opens after the configured failures in a row, refuses for openFor, then lets one probe through', () => {
    const changes: BreakerState[] = []
    const breaker = createBreaker(3, 1000, (state) => changes.push(state))
    breaker.failed()
    breaker.succeeded()
    breaker.failed()
    breaker.failed()
    expect(breaker.state).toBe('closed')
    breaker.failed()
    expect(breaker.state).toBe('open')
    expect(breaker.allow()).toBe(false)
    vi.advanceTimersByTime(999)
    expect(breaker.allow()).toBe(false)
    vi.advanceTimersByTime(1)
    expect(breaker.allow()).toBe(true)
    expect(breaker.state).toBe('half-open')
    // One probe at a time.
    expect(breaker.allow()).toBe(false)
    breaker.succeeded()
    expect(breaker.state).toBe('closed')
    expect(breaker.allow()).toBe(true)
    expect(changes).toEqual(['open', 'half-open', 'closed'])
  })

  it('opens again at once when the probe fails', () => {
    const breaker = createBreaker(1, 500, () => {})
    breaker.failed()
    vi.advanceTimersByTime(500)
    expect(breaker.allow()).toBe(true)
    breaker.failed()
    expect(breaker.state).toBe('open')
    expect(breaker.allow()).toBe(false)
    vi.advanceTimersByTime(500)
    expect(breaker.allow()).toBe(true)
  })

  it('counts the callers of one failed command once, and ignores a late success while open', () => {
    const breaker = createBreaker(2, 1000, () => {})
    const batchFailure = new Error('MGET failed')
    for (let i = 0; i < 10; i++) breaker.failed(batchFailure)
    expect(breaker.state).toBe('closed')
    breaker.failed(new Error('another command'))
    expect(breaker.state).toBe('open')
    // A call sent before it opened answers now: not a probe, the breaker stays open.
    breaker.succeeded()
    expect(breaker.state).toBe('open')
    expect(breaker.allow()).toBe(false)
  })
})

describe('circuit breaker | the store says whether it is ready', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  /** A breaker that opens at the first failure, over a store whose readiness is `ready()`. */
  const breakerOver = (openForMs: number, ready: () => boolean, changes: BreakerState[] = []) =>
    createBreaker(1, openForMs, (state) => changes.push(state), ready)

  it('stays open past openFor while the store is not ready, and probes as soon as it is', () => {
    let ready = true
    const changes: BreakerState[] = []
    const breaker = breakerOver(1000, () => ready, changes)
    ready = false // the connection dropped: the client reconnects
    breaker.failed()
    expect(breaker.state).toBe('open')
    vi.advanceTimersByTime(3000)
    // A probe now could only wait on the reconnecting client and open the breaker again.
    expect(breaker.allow()).toBe(false)
    expect(breaker.state).toBe('open')
    ready = true
    expect(breaker.allow()).toBe(true)
    expect(breaker.state).toBe('half-open')
    expect(breaker.allow()).toBe(false)
    breaker.succeeded()
    expect(changes).toEqual(['open', 'half-open', 'closed'])
  })

  it('probes before openFor ends when the store is ready again after it was not', () => {
    let ready = false
    const breaker = breakerOver(5000, () => ready)
    breaker.failed()
    vi.advanceTimersByTime(100)
    expect(breaker.allow()).toBe(false)
    ready = true
    expect(breaker.allow()).toBe(true)
    expect(breaker.state).toBe('half-open')
  })

  it('notices a reconnection that happened between two calls, when it opened while not ready', () => {
    let ready = false
    const breaker = breakerOver(5000, () => ready)
    breaker.failed()
    ready = true
    vi.advanceTimersByTime(10)
    expect(breaker.allow()).toBe(true)
  })

  it('waits out openFor when the store stayed ready (a slow server, not a reconnecting client)', () => {
    const breaker = breakerOver(1000, () => true)
    breaker.failed()
    vi.advanceTimersByTime(999)
    expect(breaker.allow()).toBe(false)
    vi.advanceTimersByTime(1)
    expect(breaker.allow()).toBe(true)
  })

  it('waits out openFor again when the probe sent on readiness fails', () => {
    let ready = false
    const breaker = breakerOver(1000, () => ready)
    breaker.failed()
    ready = true
    expect(breaker.allow()).toBe(true)
    breaker.failed()
    expect(breaker.state).toBe('open')
    // Ready all along since: no probe in a loop against a store that answers with errors.
    vi.advanceTimersByTime(999)
    expect(breaker.allow()).toBe(false)
    vi.advanceTimersByTime(1)
    expect(breaker.allow()).toBe(true)
  })

  it('falls back to openFor alone when ready throws', () => {
    const breaker = breakerOver(1000, () => {
      throw new Error('cannot tell')
    })
    breaker.failed()
    expect(breaker.allow()).toBe(false)
    vi.advanceTimersByTime(1000)
    expect(breaker.allow()).toBe(true)
  })
})
