// Type tests, checked by `pnpm typecheck` (tsc): the public generics infer what users expect.
import { expectTypeOf } from 'vitest'
import type { CacheGuardError } from './errors.js'
import { type Cache, createCache, type Guard, memoryStore } from './index.js'

const cache = createCache({ store: memoryStore() })
expectTypeOf(cache).toEqualTypeOf<Cache>()

interface User {
  id: number
  name: string
}
declare function findUser(id: number): Promise<User | null>

// The loader's type flows through; "not found" is undefined.
expectTypeOf(cache.getOrSet('user:1', () => findUser(1))).resolves.toEqualTypeOf<User | undefined>()
expectTypeOf(cache.getOrSet('n', () => 42)).resolves.toEqualTypeOf<number | undefined>()
expectTypeOf(cache.get<User>('user:1')).resolves.toEqualTypeOf<User | undefined>()
expectTypeOf(cache.set('user:1', { id: 1, name: 'Ada' })).resolves.toBeVoid()

// Events carry typed payloads; error events always carry a CacheGuardError.
cache.on('load', (event) => expectTypeOf(event.durationMs).toBeNumber())
cache.on('error', (event) => expectTypeOf(event.error).toEqualTypeOf<CacheGuardError>())

// Durations are checked: a unit is required on strings.
createCache({ ttl: '5m', grace: 1000, negativeTtl: '30 s' })
// @ts-expect-error 'minutes' is not a duration unit
createCache({ ttl: '5 minutes' })

// A guard is a plain object.
const guard: Guard = { name: 'noop', load: (_ctx, next) => next() }
createCache({ guards: [guard] })
