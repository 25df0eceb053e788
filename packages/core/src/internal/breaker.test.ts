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
