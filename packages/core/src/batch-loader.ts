import DataLoader from 'dataloader'
import { BatchResultError } from './errors.js'
import { describeValue, numberOption } from './internal/validate.js'
import type { Loader } from './options.js'

/** What `loadMany` resolves: values by key, as a `Map` or a plain object. Keys left out are "not found". */
export type BatchResult<V> =
  | ReadonlyMap<string, V | null | undefined>
  | Record<string, V | null | undefined>

/** Options of `batchLoader`. */
export interface BatchLoaderOptions {
  /** The most keys in one `loadMany` call; more are split into several calls. @default 100 */
  maxBatch?: number
}

/**
 * A loader factory for `getOrSet` calls that load many keys with one query (the N+1 case): the
 * per-key loaders it returns, when the loads of one tick call them, join one `loadMany(keys)` call
 * (several past `maxBatch`). `loadMany` resolves a `Map` or a plain object keyed by key; keys it
 * leaves out are "not found" (negative-cached), keys it adds are ignored, and anything else
 * rejects every key of the call with `CG_BATCH_RESULT`. Each `getOrSet` keeps its own
 * single-flight and guards; only the database query is shared. Over a remote store the first
 * read of a tick goes out on its own, and its load may come as a call of its own. Built on
 * DataLoader, with its per-request cache off: caching is cacheguard's.
 *
 * @example
 * const users = batchLoader((ids) => db.usersByIds(ids), { maxBatch: 100 })
 * const list = await Promise.all(ids.map((id) => cache.getOrSet(`user:${id}`, users(id))))
 */
export function batchLoader<V>(
  loadMany: (keys: string[]) => Promise<BatchResult<V>> | BatchResult<V>,
  options: BatchLoaderOptions = {},
): (key: string) => Loader<V> {
  if (typeof loadMany !== 'function') {
    throw new TypeError(`Expected \`loadMany\` to be a function, got ${describeValue(loadMany)}`)
  }
  const maxBatch = numberOption(
    'maxBatch',
    options.maxBatch ?? 100,
    1,
    Number.POSITIVE_INFINITY,
    true,
  )
  const loader = new DataLoader<string, V | null | undefined>(
    async (keys) => {
      const asked = [...keys]
      const result: unknown = await loadMany(asked)
      if (result instanceof Map) return asked.map((key) => result.get(key))
      if (typeof result === 'object' && result !== null && !Array.isArray(result)) {
        const values = result as Record<string, V>
        return asked.map((key) => (Object.hasOwn(values, key) ? values[key] : undefined))
      }
      const error = new BatchResultError(describeValue(result))
      return asked.map(() => error)
    },
    { maxBatchSize: maxBatch, cache: false },
  )
  return (key: string) => {
    if (typeof key !== 'string') {
      throw new TypeError(`Expected the key to be a string, got ${describeValue(key)}`)
    }
    return () => loader.load(key)
  }
}
