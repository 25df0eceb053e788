import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { createCache } from './create-cache.js'
import type { CacheEvents } from './events.js'
import { memoryStore } from './memory-store.js'
import { jsonSerializer } from './serializer.js'

class User {
  constructor(readonly id: number) {}
}

class Money {
  constructor(
    readonly cents: number,
    readonly currency: string,
  ) {}
  toJSON() {
    return { cents: this.cents, currency: this.currency }
  }
}

describe('jsonSerializer | refuses what would not come back as itself', () => {
  it.each([
    ['a class instance', { owner: new User(1) }, 'an instance of `User` at `owner`', 'toJSON()'],
    ['a Buffer', { avatar: Buffer.from('png') }, 'a Buffer at `avatar`', 'base64'],
    ['a Uint8Array', { bytes: new Uint8Array([1, 2]) }, 'a Uint8Array at `bytes`', 'base64'],
    ['a Float64Array', [new Float64Array([1.5])], 'a Float64Array at `[0]`', 'object of indexes'],
    ['a DataView', { view: new DataView(new ArrayBuffer(2)) }, 'a DataView at `view`', 'indexes'],
    ['an ArrayBuffer', { raw: new ArrayBuffer(4) }, 'an ArrayBuffer at `raw`', 'as {}'],
    ['a RegExp', { pattern: /^a+$/i }, 'a RegExp at `pattern`', 'source and flags'],
    ['an Error', { last: new TypeError('x') }, 'a TypeError at `last`', 'without its message'],
    ['a Map', { roles: new Map([[1, 2]]) }, 'a Map at `roles`', 'as {}'],
    ['a Set', new Set([1]), 'a Set at the top level', 'as {}'],
    ['a BigInt', { n: 10n }, 'a BigInt at `n`', 'devalueSerializer'],
    ['NaN', { score: Number.NaN }, 'NaN at `score`', 'as null'],
    ['a function', { fn: () => 1 }, 'a function at `fn`', 'dropped'],
  ])(
    'refuses %s with CG_SERIALIZE, naming where it is and what to do',
    async (_, value, what, advice) => {
      const store = memoryStore()
      const cache = createCache({ store })
      await cache.set('k', { good: true })
      const before = await store.get('k')
      const error = await cache.set('k', value).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'CG_SERIALIZE', key: 'k' })
      const message = (error as Error).message
      expect(message).toContain(what)
      expect(message).toContain(advice)
      expect(await store.get('k')).toBe(before)
      await cache.delete('k')
      await expect(cache.getOrSet('k', () => value)).rejects.toMatchObject({ code: 'CG_SERIALIZE' })
      expect(await store.get('k')).toBeUndefined()
    },
  )

  it('names the whole path of a nested refusal', () => {
    const value = { users: [{ id: 1 }, { id: 2, profile: { 'avatar-png': Buffer.from('x') } }] }
    expect(() => jsonSerializer.serialize(value)).toThrow(
      'a Buffer at `users[1].profile["avatar-png"]` would come back as',
    )
  })

  it('names the path through a toJSON() result', () => {
    const value = { a: { toJSON: () => ({ b: [1, new Map()] }) } }
    expect(() => jsonSerializer.serialize(value)).toThrow('a Map at `a.b[1]`')
  })
})

describe('jsonSerializer | what it keeps, and what it changes as JSON does', () => {
  const roundTrip = (value: unknown) => jsonSerializer.deserialize(jsonSerializer.serialize(value))

  it('keeps plain objects, arrays, null-prototype objects and plain objects of another realm', () => {
    const value = { id: 1, tags: ['a'], nested: { deep: [{ x: null }] }, ok: true }
    expect(roundTrip(value)).toStrictEqual(value)
    expect(roundTrip(Object.assign(Object.create(null), { a: 1 }))).toEqual({ a: 1 })
    expect(roundTrip(runInNewContext('({ a: [1, { b: 2 }] })'))).toEqual({ a: [1, { b: 2 }] })
  })

  it('writes what toJSON() returns: a Date comes back as its ISO string', () => {
    const at = new Date('2026-11-21T10:00:00.000Z')
    expect(roundTrip({ at, price: new Money(250, 'EUR') })).toStrictEqual({
      at: '2026-11-21T10:00:00.000Z',
      price: { cents: 250, currency: 'EUR' },
    })
  })

  it('drops undefined properties, writes undefined and holes in arrays as null, and -0 as 0', () => {
    expect(roundTrip({ a: undefined, b: 1 })).toStrictEqual({ b: 1 })
    // biome-ignore lint/suspicious/noSparseArray: the hole is the case under test
    expect(roundTrip([undefined, , 1])).toStrictEqual([null, null, 1])
    expect(Object.is(roundTrip(-0), 0)).toBe(true)
  })
})

describe('jsonSerializer | a devalueSerializer entry', () => {
  it('reads an entry another serializer wrote as a corrupt entry, so a miss', async () => {
    const { devalueSerializer } = await import('./serializers/index.js')
    const store = memoryStore()
    await createCache({ store, serializer: devalueSerializer }).set('k', { at: new Date(0) })
    const json = createCache({ store })
    const errors: Array<CacheEvents['error']> = []
    json.on('error', (event) => errors.push(event))
    expect(await json.get('k')).toBeUndefined()
    expect(errors.map((event) => event.error.code)).toEqual(['CG_CORRUPT_ENTRY'])
  })
})
