// Tags, soft expiry, clear and close (issue 15) over memoryStore: the rules of records.ts and
// invalidate.ts. test/invalidation-redis.test.ts proves them across processes on a real Redis.
import { describe, expect, it } from 'vitest'
import { memoryBus } from './bus.js'
import { createCache } from './create-cache.js'
import { CacheGuardError } from './errors.js'
import { memoryStore } from './memory-store.js'
import type { CacheStore } from './store.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A loader that answers `<key> v<n>`, n counting its calls. */
function counted(key: string) {
  const loader = Object.assign(async () => `${key} v${++loader.calls}`, { calls: 0 })
  return loader
}

describe('invalidation | tags', () => {
  it('deleteTags makes every entry with any of the tags a miss, and leaves the others', async () => {
    const cache = createCache({ store: memoryStore() })
    const a = counted('a')
    const b = counted('b')
    const c = counted('c')
    await cache.getOrSet('a', a, { tags: ['user:1', 'team:7'] })
    await cache.getOrSet('b', b, { tags: ['user:2'] })
    await cache.getOrSet('c', c)
    await cache.deleteTags(['team:7', 'unused'])
    expect(await cache.get('a')).toBeUndefined()
    expect(await cache.getOrSet('a', a, { tags: ['user:1', 'team:7'] })).toBe('a v2')
    expect(await cache.getOrSet('b', b, { tags: ['user:2'] })).toBe('b v1')
    expect(await cache.getOrSet('c', c)).toBe('c v1')
    // The entry written after the invalidation carries the tag and is valid.
    expect(await cache.get('a')).toBe('a v2')
  })

  it('set with tags is invalidated too, and a tagged "not found" as well', async () => {
    const cache = createCache({ store: memoryStore() })
    await cache.set('x', { n: 1 }, { tags: ['t'] })
    await cache.set('gone', null, { tags: ['t'] })
    expect(await cache.has('gone')).toBe(true)
    await cache.deleteTags(['t'])
    expect(await cache.get('x')).toBeUndefined()
    expect(await cache.has('gone')).toBe(false)
  })

  it('a load that started before deleteTags never writes a value that counts after it', async () => {
    const cache = createCache({ store: memoryStore() })
    let release!: () => void
    const slow = cache.getOrSet(
      'k',
      () =>
        new Promise<string>((resolve) => {
          release = () => resolve('read before the invalidation')
        }),
      { tags: ['t'] },
    )
    await sleep(5)
    await cache.deleteTags(['t'])
    release()
    // Its own caller gets it, as with delete; nobody after.
    expect(await slow).toBe('read before the invalidation')
    expect(await cache.get('k')).toBeUndefined()
    expect(await cache.getOrSet('k', async () => 'fresh', { tags: ['t'] })).toBe('fresh')
  })

  it('expireTags serves the entry stale within grace while one refresh runs, then the refresh', async () => {
    const cache = createCache({ store: memoryStore(), ttl: '1h', grace: '1h' })
    const load = counted('k')
    await cache.getOrSet('k', load, { tags: ['t'] })
    await cache.expireTags(['t'])
    const stale = await Promise.all([1, 2, 3].map(() => cache.getOrSet('k', load, { tags: ['t'] })))
    expect(stale).toEqual(['k v1', 'k v1', 'k v1'])
    await sleep(10)
    expect(load.calls).toBe(2)
    expect(await cache.getOrSet('k', load, { tags: ['t'] })).toBe('k v2')
    expect(cache.stats().staleHits).toBe(3)
  })

  it('expireTags keeps the stale value when the refresh fails (fail-safe)', async () => {
    const cache = createCache({ store: memoryStore(), ttl: '1h', grace: '1h' })
    await cache.set('k', 'old', { tags: ['t'] })
    await cache.expireTags(['t'])
    const failing = async () => {
      throw new Error('database down')
    }
    expect(await cache.getOrSet('k', failing, { tags: ['t'] })).toBe('old')
    await sleep(10)
    expect(await cache.getOrSet('k', failing, { tags: ['t'] })).toBe('old')
  })

  it('expireTags without grace is a miss', async () => {
    const cache = createCache({ store: memoryStore(), ttl: '1h' })
    await cache.set('k', 'old', { tags: ['t'] })
    await cache.expireTags(['t'])
    expect(await cache.getOrSet('k', async () => 'new', { tags: ['t'] })).toBe('new')
  })

  it('tells a miss from stale when both records cover an entry, whichever came first', async () => {
    const cache = createCache({ store: memoryStore(), ttl: '1h', grace: '1h' })
    await cache.set('a', 'old a', { tags: ['t'] })
    await cache.expireTags(['t'])
    await cache.deleteTags(['t'])
    expect(await cache.getOrSet('a', async () => 'new a', { tags: ['t'] })).toBe('new a')
    await sleep(2)
    await cache.expireTags(['t'])
    // Written after the delete, covered by the later expire alone: stale, not gone.
    expect(await cache.getOrSet('a', async () => 'newer a', { tags: ['t'] })).toBe('new a')
  })

  it('reads the tags an entry carries even when the caller names none', async () => {
    const cache = createCache({ store: memoryStore() })
    await cache.set('k', 'v', { tags: ['t'] })
    await cache.deleteTags(['t'])
    expect(await cache.getOrSet('k', async () => 'loaded')).toBe('loaded')
  })

  it.each([
    ['not an array', 'user:1', 'Expected `tags` to be an array of strings'],
    ['an empty string', [''], 'Expected tag 0 to be a non-empty string, got an empty string'],
    ['a number', ['a', 42], 'Expected tag 1 to be a non-empty string'],
    ['too long', ['x'.repeat(201)], 'Expected tag 0 to be at most 200 UTF-8 bytes, got 201'],
    ['too many', Array.from({ length: 33 }, (_, i) => `t${i}`), 'Expected at most 32 tags, got 33'],
  ])(
    'refuses tags that are %s with CG_INVALID_TAG, calling and writing nothing',
    async (_, tags, message) => {
      const cache = createCache({ store: memoryStore() })
      let calls = 0
      const loader = async () => ++calls
      for (const call of [
        () => cache.getOrSet('k', loader, { tags: tags as string[] }),
        () => cache.set('k', 1, { tags: tags as string[] }),
        () => cache.deleteTags(tags as string[]),
        () => cache.expireTags(tags as string[]),
      ]) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(error).toBeInstanceOf(CacheGuardError)
        expect((error as CacheGuardError).code).toBe('CG_INVALID_TAG')
        expect((error as Error).message).toContain(message)
      }
      expect(calls).toBe(0)
      expect(await cache.has('k')).toBe(false)
      await expect(cache.deleteTags([])).rejects.toThrow('Expected at least one tag')
    },
  )

  it('keeps keys that start with __cg: for its own records', async () => {
    const cache = createCache({ store: memoryStore() })
    await expect(cache.getOrSet('__cg:d:t', async () => 1)).rejects.toMatchObject({
      code: 'CG_INVALID_KEY',
    })
  })
})

describe('invalidation | delete and set during a load', () => {
  it.each(['delete', 'set'])(
    'a getOrSet that comes after a %s loads again rather than join the load started before it',
    async (write) => {
      const cache = createCache({ store: memoryStore() })
      let release!: () => void
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      let loads = 0
      const before = cache.getOrSet('k', async () => {
        loads++
        await gate
        return 'before the write'
      })
      await sleep(5)
      if (write === 'delete') await cache.delete('k')
      else await cache.set('k', 'written')
      const after = cache.getOrSet('k', async () => {
        loads++
        return 'after the write'
      })
      release()
      // The earlier load still answers its own caller; the later caller never gets its value.
      expect(await before).toBe('before the write')
      expect(await after).toBe(write === 'delete' ? 'after the write' : 'written')
      expect(loads).toBe(write === 'delete' ? 2 : 1)
      expect(await cache.get('k')).toBe(write === 'delete' ? 'after the write' : 'written')
    },
  )
})

describe('invalidation | expire(key)', () => {
  it('makes one entry stale: served within grace while one refresh runs', async () => {
    const cache = createCache({ store: memoryStore(), ttl: '1h', grace: '1h' })
    const load = counted('k')
    await cache.getOrSet('k', load)
    await cache.getOrSet('other', counted('other'))
    expect(await cache.expire('k')).toBe(true)
    expect(await cache.expire('never')).toBe(false)
    expect(await cache.getOrSet('k', load)).toBe('k v1')
    await sleep(10)
    expect(await cache.getOrSet('k', load)).toBe('k v2')
    expect(await cache.get('other')).toBe('other v1')
  })

  it('without grace, removes the entry', async () => {
    const cache = createCache({ store: memoryStore(), ttl: '1h' })
    await cache.set('k', 'v')
    expect(await cache.expire('k')).toBe(true)
    expect(await cache.has('k')).toBe(false)
  })
})

describe('invalidation | clear', () => {
  it('makes every entry of the namespace a miss, and leaves another namespace alone', async () => {
    const store = memoryStore()
    const users = createCache({ store, namespace: 'users', clearable: true })
    const posts = createCache({ store, namespace: 'posts', clearable: true })
    await users.set('1', 'ann')
    await users.set('2', 'bob', { tags: ['t'] })
    await posts.set('1', 'hello')
    await users.clear()
    expect(await users.get('1')).toBeUndefined()
    expect(await users.get('2')).toBeUndefined()
    expect(await posts.get('1')).toBe('hello')
    await users.set('1', 'cid')
    expect(await users.get('1')).toBe('cid')
  })

  it('needs clearable: true, and says so', async () => {
    const cache = createCache({ store: memoryStore() })
    await expect(cache.clear()).rejects.toThrow('createCache({ clearable: true })')
    expect(() => createCache({ clearable: 'yes' as never })).toThrow(
      'Expected `clearable` to be a boolean',
    )
  })
})

describe('invalidation | memory tier', () => {
  it('drops the memory copies an invalidation covers, here and in the caches that hear the bus', async () => {
    const store = memoryStore()
    const bus = memoryBus()
    const a = createCache({ store, l1: memoryStore(), bus, clearable: true })
    const b = createCache({ store, l1: memoryStore(), bus, clearable: true })
    await a.set('k', 'v1', { tags: ['t'] })
    await a.set('u', 'untagged')
    expect(await b.get('k')).toBe('v1')
    expect(await b.get('u')).toBe('untagged')
    await a.deleteTags(['t'])
    expect(await a.get('k')).toBeUndefined()
    expect(await b.get('k')).toBeUndefined()
    expect(await b.get('u')).toBe('untagged')
    await b.clear()
    expect(await a.get('u')).toBeUndefined()
    expect(await b.get('u')).toBeUndefined()
  })
})

describe('invalidation | close', () => {
  it('rejects every call after close() with CG_CLOSED, and stops hearing the bus', async () => {
    const bus = memoryBus()
    const cache = createCache({ store: memoryStore(), l1: memoryStore(), bus })
    let heard = 0
    const unsubscribe = bus.subscribe(() => heard++)
    await cache.set('k', 1)
    await cache.close()
    await cache.close()
    for (const call of [
      () => cache.getOrSet('k', async () => 2),
      () => cache.get('k'),
      () => cache.set('k', 3),
      () => cache.has('k'),
      () => cache.delete('k'),
      () => cache.deleteTags(['t']),
      () => cache.expireTags(['t']),
      () => cache.expire('k'),
      () => cache.clear(),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'CG_CLOSED' })
    }
    expect(heard).toBe(1)
    unsubscribe()
  })
})

describe('invalidation | review findings (issue 15)', () => {
  it('a load of a large value that started before deleteTags never counts after it (data time = load start)', async () => {
    const cache = createCache({ store: memoryStore() })
    const db = { version: 1 }
    const rows = (version: number) =>
      Array.from({ length: 10_000 }, (_, id) => ({ id, name: `row ${id}`, version }))
    const load = async () => {
      const version = db.version
      await sleep(5)
      return rows(version)
    }
    const first = cache.getOrSet('list', load, { tags: ['rows'] })
    await sleep(1)
    db.version = 2
    await cache.deleteTags(['rows'])
    expect((await first)?.[0]?.version).toBe(1)
    const after = await cache.getOrSet('list', load, { tags: ['rows'] })
    expect(after?.[0]?.version).toBe(2)
  })

  it('a late expire record on a store without setFenced cannot undo a deleteTags', async () => {
    const inner = memoryStore()
    let holdExpire: (() => void) | undefined
    // A store without fenced writes, whose first write of the expire record of `t` is slow.
    const store: CacheStore = {
      name: 'slow-unfenced',
      local: true,
      get: (key) => inner.get(key),
      delete: (key) => inner.delete(key),
      async set(key, value, ttlMs) {
        if (key === '__cg:e:t' && holdExpire === undefined) {
          await new Promise<void>((resolve) => {
            holdExpire = resolve
          })
        }
        return inner.set(key, value, ttlMs)
      },
    }
    const cache = createCache({ store, ttl: '1h', grace: '1h' })
    const expiring = cache.expireTags(['t'])
    await sleep(5)
    await cache.set('k', 'v1', { tags: ['t'] })
    await sleep(5)
    await cache.deleteTags(['t'])
    holdExpire!()
    await expiring
    // The expire record now holds an older time than the delete record: the entry is still a miss.
    expect(await cache.get('k')).toBeUndefined()
    expect(await cache.getOrSet('k', async () => 'v2', { tags: ['t'] })).toBe('v2')
  })

  it("a peer's fast clock heard over the bus does not put this process's writes out of reach of its own deleteTags", async () => {
    const bus = memoryBus()
    const cache = createCache({ store: memoryStore(), l1: memoryStore(), bus })
    bus.publish({
      origin: 'a peer ten minutes ahead',
      keys: [],
      records: [{ kind: 'delete', namespace: '', tags: ['unrelated'], at: Date.now() + 600_000 }],
    })
    let version = 1
    await cache.getOrSet('k', async () => `v${version}`, { tags: ['x'] })
    version = 2
    await cache.deleteTags(['x'])
    expect(await cache.get('k')).toBeUndefined()
    expect(await cache.getOrSet('k', async () => `v${version}`, { tags: ['x'] })).toBe('v2')
  })

  it('keeps serving a valid tagged memory copy from memory after 10,100 other tags were invalidated', async () => {
    // Room for the 20,200 records the invalidations write besides the entry.
    const inner = memoryStore({ maxEntries: 100_000 })
    let reads = 0
    const store: CacheStore = {
      ...inner,
      get: (key) => {
        reads++
        return inner.get(key)
      },
    }
    const cache = createCache({ store, l1: memoryStore(), ttl: '1h' })
    await cache.set('k', 'v', { tags: ['kept'] })
    for (let i = 0; i < 10_100; i++) await cache.deleteTags([`other:${i}`])
    await cache.get('k')
    reads = 0
    for (let i = 0; i < 1000; i++) expect(await cache.get('k')).toBe('v')
    expect(reads).toBeLessThanOrEqual(2)
  })

  it('clear() reaches entries of the first format (cg1), whose data time is unknown', async () => {
    const store = memoryStore()
    const until = Date.now() + 60_000
    await store.set('k', `cg1|${until}|${until}|v"old format"`, 60_000)
    const cache = createCache({ store, clearable: true })
    expect(await cache.get('k')).toBe('old format')
    await cache.clear()
    expect(await cache.get('k')).toBeUndefined()
  })
})
