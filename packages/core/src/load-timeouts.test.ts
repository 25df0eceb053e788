import { describe, expect, it } from 'vitest'
import { createCache } from './create-cache.js'
import { memoryStore } from './memory-store.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A loader that takes `ms`, counting its calls and remembering the signal it was given. */
function slowLoader<T>(ms: number, value: T) {
  const loader = Object.assign(
    async ({ signal }: { signal: AbortSignal }) => {
      loader.calls++
      loader.signals.push(signal)
      await sleep(ms)
      loader.finished++
      return value
    },
    { calls: 0, finished: 0, signals: [] as AbortSignal[] },
  )
  return loader
}

/** A cache holding `key` as a stale value: past its 30 ms fresh time, within a minute of grace. */
async function withStale(options: Parameters<typeof createCache>[0] = {}) {
  const cache = createCache({ jitter: 0, ...options })
  await cache.set('k', 'stale', { ttl: 30, grace: '1m' })
  await sleep(50)
  return cache
}

describe('loader timeouts | hard', () => {
  it('answers every joined caller CG_LOAD_TIMEOUT at the hard timeout and aborts the signal', async () => {
    const cache = createCache({ timeout: { hard: 60 } })
    const loader = slowLoader(300, 'late')
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, () => cache.getOrSet('k', loader)),
    )
    // Answered while the loader was still running.
    expect(loader.finished).toBe(0)
    expect(loader.calls).toBe(1)
    for (const s of settled) {
      expect(s.status === 'rejected' && s.reason.code).toBe('CG_LOAD_TIMEOUT')
    }
    expect(loader.signals[0]!.aborted).toBe(true)
    expect(loader.signals[0]!.reason.code).toBe('CG_LOAD_TIMEOUT')
    // The loader finished anyway: its value fills the cache.
    await sleep(300)
    expect(await cache.get('k')).toBe('late')
  })

  it('hands a loader that first asks for its signal after the hard timeout an aborted one', async () => {
    const cache = createCache({ timeout: { hard: 20 } })
    let late: AbortSignal | undefined
    const loader = async (ctx: { signal: AbortSignal }) => {
      await sleep(60)
      late = ctx.signal
      return 'late'
    }
    await expect(cache.getOrSet('k', loader)).rejects.toMatchObject({ code: 'CG_LOAD_TIMEOUT' })
    await sleep(80)
    expect(late?.aborted).toBe(true)
    expect(late?.reason).toMatchObject({ code: 'CG_LOAD_TIMEOUT' })
  })

  it('lets a per-call hard timeout override the cache', async () => {
    const cache = createCache({ timeout: { hard: 10_000 } })
    await expect(
      cache.getOrSet('k', slowLoader(200, 'x'), { timeout: { hard: 20 } }),
    ).rejects.toMatchObject({ code: 'CG_LOAD_TIMEOUT' })
  })

  it('does not let a load past its hard timeout undo a delete made meanwhile', async () => {
    const cache = createCache({ timeout: { hard: 20 } })
    await expect(cache.getOrSet('k', slowLoader(150, 'old'))).rejects.toThrow()
    await cache.set('k', 'newer')
    await cache.delete('k')
    await sleep(200)
    expect(await cache.get('k')).toBeUndefined()
  })
})

describe('loader timeouts | soft', () => {
  it('serves the refreshed value when the refresh ends within the soft timeout', async () => {
    const cache = await withStale({ timeout: { soft: 200 } })
    expect(await cache.getOrSet('k', slowLoader(20, 'fresh'))).toBe('fresh')
  })

  it('serves the stale value at the soft timeout, once for all callers, and refreshes in the background', async () => {
    const cache = await withStale({ timeout: { soft: 40 } })
    const loader = slowLoader(200, 'fresh')
    const values = await Promise.all(Array.from({ length: 20 }, () => cache.getOrSet('k', loader)))
    expect(values.every((value) => value === 'stale')).toBe(true)
    expect(loader.finished).toBe(0)
    expect(loader.calls).toBe(1)
    await sleep(250)
    expect(await cache.get('k')).toBe('fresh')
    expect(loader.calls).toBe(1)
  })

  it('serves the stale value at once with the default soft timeout of 0', async () => {
    const cache = await withStale()
    const loader = slowLoader(200, 'fresh')
    expect(await cache.getOrSet('k', loader)).toBe('stale')
    expect(loader.finished).toBe(0)
  })

  it('serves the stale value when the refresh fails within the soft timeout', async () => {
    const cache = await withStale({ timeout: { soft: 200 } })
    const value = await cache.getOrSet('k', async () => {
      throw new Error('database down')
    })
    expect(value).toBe('stale')
  })
})

describe('writes win over loads in flight', () => {
  it('does not let a background refresh undo a delete', async () => {
    const cache = await withStale()
    const loader = slowLoader(100, 'refreshed')
    expect(await cache.getOrSet('k', loader)).toBe('stale')
    await cache.delete('k')
    await sleep(150)
    expect(loader.calls).toBe(1)
    expect(await cache.get('k')).toBeUndefined()
  })

  it('does not let a background refresh overwrite a set', async () => {
    const cache = await withStale()
    expect(await cache.getOrSet('k', slowLoader(100, 'refreshed'))).toBe('stale')
    await cache.set('k', 'set by the app')
    await sleep(150)
    expect(await cache.get('k')).toBe('set by the app')
  })

  it('still reads entries of the first format (cg1) written before an upgrade', async () => {
    const store = memoryStore()
    const until = Date.now() + 60_000
    await store.set('k', `cg1|${until}|${until}|v"old format"`, 60_000)
    const cache = createCache({ store })
    expect(await cache.get('k')).toBe('old format')
  })
})

describe('the loader decides about its own entry', () => {
  it('sets its entry times from what it loaded (setOptions)', async () => {
    const cache = createCache({ ttl: '1h', jitter: 0 })
    // 300 ms instead of the hour: still there just after, gone once it has passed.
    await cache.getOrSet('k', (ctx) => {
      ctx.setOptions({ ttl: 300 })
      return 'short-lived'
    })
    expect(await cache.get('k')).toBe('short-lived')
    await sleep(400)
    expect(await cache.get('k')).toBeUndefined()
    await expect(
      cache.getOrSet('bad', (ctx) => {
        ctx.setOptions({ ttl: -1 })
        return 1
      }),
    ).rejects.toThrow('Expected `ttl` to be a positive duration')
  })

  it('answers every caller without writing when it calls noStore', async () => {
    const cache = createCache()
    let calls = 0
    const loader = async (ctx: { noStore(): void }) => {
      calls++
      ctx.noStore()
      await sleep(20)
      return { shared: true }
    }
    const values = await Promise.all([1, 2, 3].map(() => cache.getOrSet('k', loader)))
    expect(values).toEqual([{ shared: true }, { shared: true }, { shared: true }])
    expect(calls).toBe(1)
    expect(await cache.get('k')).toBeUndefined()
  })
})
