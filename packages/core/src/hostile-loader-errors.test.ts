import { describe, expect, it } from 'vitest'
import { createCache } from './create-cache.js'
import {
  GuardError,
  LoaderError,
  LockLostError,
  LockUnavailableError,
  SerializeError,
  StoreError,
} from './errors.js'
import type { CacheEvents } from './events.js'
import { memoryStore } from './memory-store.js'

// Regression for issue 13: a loader that throws a value which cannot be turned into a string used
// to reach callers as cacheguard's own `TypeError: Cannot convert object to primitive value`
// (raised while building the LoaderError's message), with no `error` event and no count, and a
// background refresh failed silently.

/** A loader error whose every property read (and its conversion to a string) throws. */
function throwingProxy(): object {
  return new Proxy(
    {},
    {
      get(_, property) {
        throw new Error(`read of ${String(property)}`)
      },
    },
  )
}

/** A real Error whose `message` getter throws. */
function errorWithThrowingMessage(): Error {
  const error = new Error('hidden')
  Object.defineProperty(error, 'message', {
    get() {
      throw new Error('message getter')
    },
  })
  return error
}

/** Resolves with the first `error` event of `cache`. */
function nextError(cache: ReturnType<typeof createCache>): Promise<CacheEvents['error']> {
  return new Promise((resolve) => cache.on('error', resolve))
}

const UNDESCRIBABLE = 'a thrown value that cannot be described'

// [what, make it, the reason the LoaderError's message gives]
const cases: Array<[string, () => unknown, string]> = [
  [
    'a null-prototype object',
    () => Object.assign(Object.create(null), { code: 'E_DB' }),
    '{"code":"E_DB"}',
  ],
  ['a Proxy that throws on every property read', throwingProxy, UNDESCRIBABLE],
  ['an Error whose message getter throws', errorWithThrowingMessage, UNDESCRIBABLE],
]

describe('loader errors | hostile thrown values', () => {
  it.each(cases)(
    'gives callers %s itself and reports it as CG_LOADER, on a miss and on a background refresh',
    async (_, make, reason) => {
      const thrown = make()

      // A miss: the caller gets the value itself, and the error event carries it as the cause.
      const cache = createCache({ store: memoryStore() })
      const events: Array<CacheEvents['error']> = []
      cache.on('error', (event) => events.push(event))
      // try/await, not .then(): resolving a promise with the Proxy would read its `then`.
      let caught: unknown = 'resolved'
      try {
        await cache.getOrSet('k', () => Promise.reject(thrown))
      } catch (error) {
        caught = error
      }
      expect(caught).toBe(thrown)
      expect(events).toHaveLength(1)
      expect(events[0]?.key).toBe('k')
      expect(events[0]?.operation).toBe('load')
      expect(events[0]?.error.code).toBe('CG_LOADER')
      expect(events[0]?.error.cause).toBe(thrown)
      expect(events[0]?.error.message).toBe(`The loader for key \`k\` failed: ${reason}`)
      expect(cache.stats().errors).toBe(1)

      // A background refresh within grace: the stale value is served and the failure reported.
      const graced = createCache({ store: memoryStore(), ttl: 10, grace: '1m', jitter: 0 })
      await graced.getOrSet('k', () => 'v1')
      const reported = nextError(graced)
      // Fresh for 10 ms, then each read is stale: read until one is, which starts the one refresh.
      await expect
        .poll(
          async () => {
            expect(await graced.getOrSet('k', () => Promise.reject(thrown))).toBe('v1')
            return graced.stats().staleHits
          },
          { interval: 2 },
        )
        .toBe(1)
      const event = await reported
      expect(event.operation).toBe('refresh')
      expect(event.error.code).toBe('CG_LOADER')
      expect(event.error.cause).toBe(thrown)
      expect(graced.stats().errors).toBe(1)
    },
  )
})

describe('errors | hostile causes', () => {
  it.each(cases)(
    'builds every message that shows a cause from %s without throwing',
    (_, make, reason) => {
      const cause = make()
      const built = [
        new LoaderError('k', cause),
        new SerializeError('k', cause),
        new StoreError('read', 'k', cause),
        new GuardError('bloom', 'k', cause),
        new LockUnavailableError('k', cause),
        new LockLostError('k', cause),
      ]
      for (const error of built) {
        expect(error.message.endsWith(`: ${reason}`)).toBe(true)
        expect(error.cause).toBe(cause)
      }
    },
  )
})
