import { describe, expect, it } from 'vitest'
import { createCache } from './create-cache.js'
import { CacheGuardError, ValueTooLargeError } from './errors.js'
import type { CacheEvents } from './events.js'
import { memoryStore } from './memory-store.js'
import type { CacheStore } from './store.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until `condition` holds, polling every 2 ms, for at most 5 s. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s')
    await sleep(2)
  }
}

describe('createCache | options', () => {
  it.each([
    [
      { ttl: -1 },
      "Expected `ttl` to be a positive duration (milliseconds, or a string like '30s'), got `-1` (number)",
    ],
    [{ ttl: '5 parsecs' }, 'Expected `ttl` to be a positive duration'],
    [{ ttl: 0 }, 'got `0` (number)'],
    [{ jitter: 2 }, 'Expected `jitter` to be a number from 0 to 1, got `2` (number)'],
    [{ jitter: -0.1 }, 'Expected `jitter` to be a number from 0 to 1, got `-0.1` (number)'],
    [{ jitter: '0.1' }, 'Expected `jitter` to be a number from 0 to 1, got `"0.1"` (string)'],
    [{ grace: -5 }, 'Expected `grace` to be a duration of 0 or more'],
    [{ negativeTtl: Number.NaN }, 'Expected `negativeTtl` to be a duration of 0 or more'],
    [{ storeTimeout: 0 }, 'Expected `storeTimeout` to be a positive duration'],
    [{ timeout: '1s' }, 'Expected `timeout` to be an object such as { soft'],
    [{ timeout: { hard: 0 } }, 'Expected `timeout.hard` to be a positive duration'],
    [{ timeout: { soft: -1 } }, 'Expected `timeout.soft` to be a duration of 0 or more'],
    [{ earlyRefresh: { beta: 0 } }, 'Expected `earlyRefresh.beta` to be a number from'],
    [{ earlyRefresh: { threshold: 1 } }, 'Expected `earlyRefresh.threshold` to be below 1'],
    [
      { earlyRefresh: { beta: 1, threshold: 0.5 } },
      'Expected `earlyRefresh` to be { beta: number }',
    ],
    [
      { maxKeyLength: 1.5 },
      'Expected `maxKeyLength` to be an integer from 1 or more, got `1.5` (number)',
    ],
    [{ guards: 'lock' }, 'Expected `guards` to be an array of guards'],
    [{ store: {} }, 'Expected `store` to be a CacheStore'],
  ])('rejects %o with a TypeError that says what was expected and given', (options, message) => {
    expect(() => createCache(options as never)).toThrow(TypeError)
    expect(() => createCache(options as never)).toThrow(message)
  })

  it('accepts durations as milliseconds or strings', async () => {
    const store = memoryStore()
    const cache = createCache({ store, ttl: '2m', grace: '1h', jitter: 0 })
    await cache.set('k', 1)
    const ttl = (await store.ttl!('k'))!
    expect(ttl).toBeGreaterThan(3_600_000 + 119_000)
    expect(ttl).toBeLessThanOrEqual(3_600_000 + 120_000)
  })

  it('rejects bad per-call options at the call', async () => {
    const cache = createCache()
    await expect(cache.getOrSet('k', () => 1, { ttl: -3 })).rejects.toThrow(TypeError)
  })
})

describe('createCache | bad input', () => {
  it.each([
    ['', 'an empty string'],
    [42, 'number'],
    [undefined, 'undefined'],
    ['x'.repeat(1025), 'at most 1024 bytes, got 1025 bytes'],
    ['é'.repeat(513), 'at most 1024 bytes, got 1026 bytes'],
  ])('rejects the key %j with CG_INVALID_KEY and calls nothing', async (key, message) => {
    let called = 0
    const store = memoryStore()
    const counted = {
      ...store,
      get: (k: string) => {
        called++
        return store.get(k)
      },
    }
    const cache = createCache({ store: counted })
    const error = await cache.getOrSet(key as string, () => called++).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CacheGuardError)
    expect(error).toMatchObject({ code: 'CG_INVALID_KEY' })
    expect((error as Error).message).toContain(message)
    expect(called).toBe(0)
    await expect(cache.set(key as string, 1)).rejects.toMatchObject({ code: 'CG_INVALID_KEY' })
    await expect(cache.get(key as string)).rejects.toMatchObject({ code: 'CG_INVALID_KEY' })
  })

  it('honours a configured maxKeyLength', async () => {
    const cache = createCache({ maxKeyLength: 8 })
    await expect(cache.getOrSet('123456789', () => 1)).rejects.toMatchObject({
      code: 'CG_INVALID_KEY',
    })
    expect(await cache.getOrSet('12345678', () => 1)).toBe(1)
  })

  const circular: Record<string, unknown> = {}
  circular.self = circular
  it.each([
    ['a BigInt', { n: 10n }],
    ['a cycle', circular],
    ['a function', { fn: () => 1 }],
    ['a symbol', { s: Symbol('x') }],
    ['NaN', { score: Number.NaN }],
    ['a Map', { m: new Map([[1, 2]]) }],
  ])('refuses %s with CG_SERIALIZE and keeps the previous value', async (_, bad) => {
    const store = memoryStore()
    const cache = createCache({ store })
    await cache.set('k', { good: true })
    const before = await store.get('k')
    await expect(cache.set('k', bad)).rejects.toMatchObject({ code: 'CG_SERIALIZE', key: 'k' })
    expect(await store.get('k')).toBe(before)
    await cache.delete('k')
    await expect(cache.getOrSet('k', () => bad)).rejects.toMatchObject({ code: 'CG_SERIALIZE' })
    expect(await store.get('k')).toBeUndefined()
  })

  it('rejects a loader that is not a function', async () => {
    const cache = createCache()
    await expect(cache.getOrSet('k', 'nope' as never)).rejects.toThrow(
      'Expected `loader` to be a function',
    )
  })
})

describe('createCache | single-flight and namespaces', () => {
  it('never shares an in-flight load between namespaces on one store', async () => {
    const store = memoryStore()
    const a = createCache({ store, namespace: 'a' })
    const b = createCache({ store, namespace: 'b' })
    const slow = (value: string) => async () => {
      await sleep(20)
      return value
    }
    const [fromA, fromB] = await Promise.all([
      a.getOrSet('k', slow('A')),
      b.getOrSet('k', slow('B')),
    ])
    expect([fromA, fromB]).toEqual(['A', 'B'])
    expect(await store.get('a:k')).toContain('"A"')
    expect(await store.get('b:k')).toContain('"B"')
  })

  it('does not let an in-flight load overwrite a set that came after it started', async () => {
    const cache = createCache()
    const loading = cache.getOrSet('k', async () => {
      await sleep(30)
      return 'from loader'
    })
    await sleep(5)
    await cache.set('k', 'from set')
    expect(await loading).toBe('from loader')
    expect(await cache.get('k')).toBe('from set')
  })

  it('does not let an in-flight load resurrect a deleted key', async () => {
    const cache = createCache()
    await cache.set('k', 'old')
    const refreshed = cache.getOrSet('k2', async () => {
      await sleep(30)
      return 'loaded'
    })
    await sleep(5)
    expect(await cache.delete('k2')).toBe(false)
    await refreshed
    expect(await cache.get('k2')).toBeUndefined()
    expect(await cache.delete('k')).toBe(true)
  })
})

describe('createCache | grace and fail-safe', () => {
  it('keeps serving the stale value when the refresh throws, and reports the error', async () => {
    const cache = createCache({ ttl: 20, grace: '1m', jitter: 0 })
    const errors: Array<CacheEvents['error']> = []
    cache.on('error', (event) => errors.push(event))
    await cache.getOrSet('k', () => 'v1')
    await sleep(40)
    const boom = new Error('db down')
    expect(await cache.getOrSet('k', () => Promise.reject(boom))).toBe('v1')
    await until(() => errors.length > 0)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({
      key: 'k',
      operation: 'refresh',
      error: { code: 'CG_LOADER', cause: boom },
    })
    // The refresh writes v2 fresh for a minute, so the next read is a plain hit however slow the machine.
    expect(await cache.getOrSet('k', () => 'v2', { ttl: '1m' })).toBe('v1')
    await until(async () => (await cache.get('k')) === 'v2')
    expect(await cache.getOrSet('k', () => 'v3')).toBe('v2')
    expect(cache.stats()).toMatchObject({ staleHits: 2, errors: 1 })
  })

  it('never caches an error', async () => {
    const cache = createCache()
    await expect(cache.getOrSet('k', () => Promise.reject(new Error('x')))).rejects.toThrow('x')
    expect(await cache.get('k')).toBeUndefined()
    expect(await cache.getOrSet('k', () => 'ok')).toBe('ok')
  })
})

describe('createCache | stats and events', () => {
  it('counts hits, misses, loads and the hit rate', async () => {
    const cache = createCache()
    await cache.getOrSet('a', () => 1)
    await cache.getOrSet('a', () => 1)
    await cache.getOrSet('a', () => 1)
    await cache.getOrSet('b', () => null)
    await cache.getOrSet('b', () => null)
    expect(cache.stats()).toEqual({
      hits: 3,
      misses: 2,
      staleHits: 0,
      loads: 2,
      coalesced: 0,
      blocked: 0,
      overloaded: 0,
      shortCircuited: 0,
      fenced: 0,
      earlyRefreshes: 0,
      overdueLoads: 0,
      deletes: 0,
      tagDeletes: 0,
      expires: 0,
      tagExpires: 0,
      clears: 0,
      corrupt: 0,
      errors: 0,
      hitRate: 0.6,
    })
  })

  it('counts a read whose load failed as a miss, for every caller that shared it', async () => {
    const cache = createCache()
    const failing = async () => {
      throw new Error('database down')
    }
    await Promise.allSettled([1, 2, 3].map(() => cache.getOrSet('down', failing)))
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 3, loads: 1, coalesced: 2, errors: 1 })
  })

  it('emits events, and a throwing listener never breaks a read', async () => {
    const cache = createCache()
    const seen: string[] = []
    cache.on('miss', ({ key }) => seen.push(`miss:${key}`))
    cache.on('load', ({ key, found }) => seen.push(`load:${key}:${found}`))
    const off = cache.on('hit', ({ key }) => seen.push(`hit:${key}`))
    cache.on('hit', () => {
      throw new Error('listener bug')
    })
    await cache.getOrSet('k', () => 1)
    expect(await cache.getOrSet('k', () => 2)).toBe(1)
    off()
    await cache.getOrSet('k', () => 3)
    expect(seen).toEqual(['load:k:true', 'miss:k', 'hit:k'])
  })
})

describe('createCache | values', () => {
  it("hands each caller its own copy by default ('copy')", async () => {
    const cache = createCache()
    await cache.set('k', { tags: ['a'] })
    const read = () => cache.getOrSet<{ tags: string[] }>('k', () => null)
    const [one, two] = await Promise.all([read(), read()])
    one!.tags.push('mutated')
    expect(two).toEqual({ tags: ['a'] })
    expect(await cache.get('k')).toEqual({ tags: ['a'] })
  })

  it("shares one deeply frozen value among the callers of one read ('frozen')", async () => {
    const cache = createCache({ values: 'frozen' })
    await cache.set('k', { tags: ['a'], nested: { n: 1 } })
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        cache.getOrSet<{ tags: string[]; nested: { n: number } }>('k', () => null),
      ),
    )
    expect(new Set(results).size).toBe(1)
    const shared = results[0]!
    expect(
      Object.isFrozen(shared) && Object.isFrozen(shared.tags) && Object.isFrozen(shared.nested),
    ).toBe(true)
    expect(() => shared.tags.push('mutated')).toThrow(TypeError)
    expect(() => {
      shared.nested.n = 2
    }).toThrow(TypeError)
    expect(Object.isFrozen(await cache.get('k'))).toBe(true)
    expect(await cache.getOrSet('fresh', () => ({ loaded: true }))).toSatisfy(Object.isFrozen)
  })

  it("keeps copy mode's copies its own when a 'frozen' cache shares its memoryStore", async () => {
    const store = memoryStore()
    const frozen = createCache({ store, values: 'frozen' })
    const copying = createCache({ store })
    await frozen.set('k', { tags: ['a'] })
    expect(Object.isFrozen(await frozen.get('k'))).toBe(true)
    const one = await copying.getOrSet<{ tags: string[] }>('k', () => null)
    const two = await copying.get<{ tags: string[] }>('k')
    expect(one).not.toBe(two)
    one!.tags.push('mutated')
    expect(two).toEqual({ tags: ['a'] })
    expect(Object.isFrozen(await frozen.get('k'))).toBe(true)
  })

  it('rejects another values mode', () => {
    expect(() => createCache({ values: 'shared' as never })).toThrow(
      "Expected `values` to be 'copy' or 'frozen', got `\"shared\"` (string)",
    )
  })
})

describe('createCache | has', () => {
  it('tells whether a fresh entry exists, for how long, without counting', async () => {
    const cache = createCache({ ttl: '1m', jitter: 0 })
    expect(await cache.has('k')).toBe(false)
    await cache.set('k', 1)
    await cache.set('gone', null)
    expect(await cache.has('k')).toBe(true)
    expect(await cache.has('gone')).toBe(true)
    expect(await cache.has('k', { freshFor: '30s' })).toBe(true)
    expect(await cache.has('k', { freshFor: '2m' })).toBe(false)
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0 })
    await expect(cache.has('k', { freshFor: -1 })).rejects.toThrow(TypeError)
  })
})

describe('createCache | a store that refuses a value', () => {
  it('keeps the code of a typed store error, and does not count it against the store', async () => {
    const inner = memoryStore()
    const store: CacheStore = {
      name: 'small',
      get: (key) => inner.get(key),
      delete: (key) => inner.delete(key),
      async set(key, value, ttlMs) {
        if (value.length > 100) throw new ValueTooLargeError(key, value.length, 100)
        await inner.set(key, value, ttlMs)
      },
    }
    const cache = createCache({ store, breaker: { failures: 1 } })
    const reported: string[] = []
    cache.on('error', ({ operation, error }) => reported.push(`${operation}:${error.code}`))
    const big = 'x'.repeat(200)
    await expect(cache.set('big', big)).rejects.toMatchObject({ code: 'CG_VALUE_TOO_LARGE' })
    // A load still answers with its value, uncached; the error is reported.
    expect(await cache.getOrSet('loaded', () => big)).toBe(big)
    expect(reported).toEqual(['write:CG_VALUE_TOO_LARGE', 'write:CG_VALUE_TOO_LARGE'])
    // The breaker (one failure opens it) stayed closed: small writes still reach the store.
    await cache.set('small', 'ok')
    expect(await cache.get('small')).toBe('ok')
  })
})

describe('createCache | jitter per call', () => {
  it("writes exactly the call's ttl with { jitter: 0 }, whatever the cache's jitter", async () => {
    const store = memoryStore()
    const cache = createCache({ store, jitter: 1 })
    const lifetimes = async (options: { jitter?: number }) => {
      const seen = new Set<number>()
      for (let i = 0; i < 20; i++) {
        await cache.set(`k${i}`, i, { ttl: 10_000, ...options })
        const [, fresh, , written] = String(await store.get(`k${i}`)).split('|')
        seen.add(Number(fresh) - Number(written))
      }
      return seen
    }
    expect(await lifetimes({ jitter: 0 })).toEqual(new Set([10_000]))
    expect((await lifetimes({})).size).toBeGreaterThan(1)
    await expect(cache.set('k', 1, { jitter: 2 })).rejects.toThrow('Expected `jitter`')
  })
})

describe('createCache | store timeouts', () => {
  it('times a store call out on the monotonic clock, even when the wall clock steps back', async () => {
    const never = () => new Promise<never>(() => {})
    const silent: CacheStore = { name: 'silent', get: never, set: never, delete: never }
    const cache = createCache({ store: silent, storeTimeout: 100, breaker: false })
    const codes: string[] = []
    cache.on('error', ({ error }) => codes.push(error.code))
    const now = Date.now
    const read = cache.get('k')
    await sleep(20)
    const stepped = now() - 3_600_000
    Date.now = () => stepped
    try {
      const answer = await Promise.race([read, sleep(2000).then(() => 'still waiting')])
      expect(answer).toBeUndefined()
    } finally {
      Date.now = now
    }
    expect(codes).toEqual(['CG_STORE_TIMEOUT'])
  })
})
