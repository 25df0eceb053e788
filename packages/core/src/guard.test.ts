import { describe, expect, it } from 'vitest'
import { createCache } from './create-cache.js'
import type { Guard } from './guard.js'
import { memoryStore } from './memory-store.js'

/** A guard that answers "not found" for keys outside an allowlist, the way a Bloom guard will. */
function allowlistGuard(allowed: Set<string>, log: string[]): Guard {
  return {
    name: 'allowlist',
    async load(ctx, next) {
      log.push(`allowlist:${ctx.key}`)
      if (!allowed.has(ctx.key)) return ctx.block('not in the allowlist')
      return next()
    },
    written(ctx) {
      if (ctx.found) allowed.add(ctx.key)
    },
  }
}

function tracingGuard(name: string, log: string[]): Guard {
  return {
    name,
    async load(ctx, next) {
      log.push(`${name}:before:${ctx.storeKey}`)
      const result = await next()
      log.push(`${name}:after`)
      return result
    },
  }
}

describe('guard contract', () => {
  it('runs guards around the loader, outermost first, only on a miss', async () => {
    const log: string[] = []
    const cache = createCache({
      namespace: 'ns',
      guards: [tracingGuard('outer', log), tracingGuard('inner', log)],
    })
    await cache.getOrSet('k', () => {
      log.push('loader')
      return 1
    })
    await cache.getOrSet('k', () => 2)
    expect(log).toEqual([
      'outer:before:ns:k',
      'inner:before:ns:k',
      'loader',
      'inner:after',
      'outer:after',
    ])
  })

  it('lets a guard block a key: not found, no loader call, counted, emitted and not cached', async () => {
    const log: string[] = []
    const cache = createCache({ guards: [allowlistGuard(new Set(['known']), log)] })
    const blocked: string[] = []
    cache.on('blocked', ({ key, guard, reason }) => blocked.push(`${key}:${guard}:${reason}`))
    let loads = 0
    const loader = () => {
      loads++
      return { ok: true }
    }
    expect(await cache.getOrSet('unknown', loader)).toBeUndefined()
    expect(await cache.getOrSet('unknown', loader)).toBeUndefined()
    expect(await cache.getOrSet('known', loader)).toEqual({ ok: true })
    expect(loads).toBe(1)
    expect(blocked).toEqual([
      'unknown:allowlist:not in the allowlist',
      'unknown:allowlist:not in the allowlist',
    ])
    expect(cache.stats()).toMatchObject({ blocked: 2, loads: 1, misses: 3 })
    expect(log).toEqual(['allowlist:unknown', 'allowlist:unknown', 'allowlist:known'])
  })

  it('blocks once for all coalesced callers', async () => {
    const cache = createCache({ guards: [allowlistGuard(new Set(), [])] })
    const results = await Promise.all(
      Array.from({ length: 100 }, () => cache.getOrSet('nobody', () => 1)),
    )
    expect(results.every((r) => r === undefined)).toBe(true)
    expect(cache.stats()).toMatchObject({ blocked: 1, coalesced: 99, loads: 0 })
  })

  it('tells guards about writes from set, so a set key passes the guard', async () => {
    const allowed = new Set<string>()
    const cache = createCache({ guards: [allowlistGuard(allowed, [])] })
    await cache.set('new', 'value')
    expect(allowed.has('new')).toBe(true)
    await cache.delete('new')
    expect(await cache.getOrSet('new', () => 'loaded')).toBe('loaded')
  })

  it('reports a guard whose written hook throws, without failing the read', async () => {
    const cache = createCache({
      guards: [
        {
          name: 'broken',
          written() {
            throw new Error('hook bug')
          },
        },
      ],
    })
    const errors: string[] = []
    cache.on('error', ({ operation, error }) => errors.push(`${operation}:${error.message}`))
    expect(await cache.getOrSet('k', () => 1)).toBe(1)
    expect(errors).toEqual(['guard:The guard `broken` failed for key `k`: hook bug'])
  })

  it('passes a guard error to every caller and does not cache it', async () => {
    const cache = createCache({
      guards: [
        {
          name: 'refusing',
          async load() {
            throw new Error('lock unavailable')
          },
        },
      ],
    })
    const codes: string[] = []
    cache.on('error', ({ error }) => codes.push(error.code))
    const settled = await Promise.allSettled([
      cache.getOrSet('k', () => 1),
      cache.getOrSet('k', () => 1),
    ])
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected'])
    expect(cache.stats()).toMatchObject({ loads: 0, errors: 1 })
    expect(codes).toEqual(['CG_GUARD'])
    expect(await cache.get('k')).toBeUndefined()
  })

  it('lets an admit check refuse a key before the store lookup', async () => {
    const store = memoryStore()
    let reads = 0
    const counted = {
      ...store,
      get: (key: string) => {
        reads++
        return store.get(key)
      },
    }
    const cache = createCache({
      store: counted,
      guards: [{ name: 'even-only', admit: (key) => Number(key) % 2 === 0 }],
    })
    expect(await cache.getOrSet('3', () => 'three')).toBeUndefined()
    expect(await cache.getOrSet('4', () => 'four')).toBe('four')
    expect(reads).toBe(1)
    expect(cache.stats()).toMatchObject({ blocked: 1, loads: 1 })
  })

  it('lets a request through when an admit check throws, and reports it', async () => {
    const cache = createCache({
      guards: [
        {
          name: 'flaky',
          admit() {
            throw new Error('filter unavailable')
          },
        },
      ],
    })
    const codes: string[] = []
    cache.on('error', ({ error }) => codes.push(error.code))
    expect(await cache.getOrSet('k', () => 'loaded')).toBe('loaded')
    expect(codes).toEqual(['CG_GUARD'])
    expect(cache.stats().blocked).toBe(0)
  })

  it('lets a guard report an error it handled itself', async () => {
    const cache = createCache({
      guards: [
        {
          name: 'fail-open',
          async load(ctx, next) {
            ctx.report(new Error('shared filter down'))
            return next()
          },
        },
      ],
    })
    const seen: string[] = []
    cache.on('error', ({ operation, error }) =>
      seen.push(`${operation}:${error.code}:${error.message}`),
    )
    expect(await cache.getOrSet('k', () => 1)).toBe(1)
    expect(seen).toEqual([
      'guard:CG_GUARD:The guard `fail-open` failed for key `k`: shared filter down',
    ])
  })
})
