import DataLoader from 'dataloader'
import { readBatchResult } from './internal/batch-result.js'
import { describeValue, numberOption } from './internal/validate.js'
import type { BatchResult, Loader } from './options.js'

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
      try {
        return readBatchResult(result, asked).values as Array<V | undefined>
      } catch (error) {
        // CG_BATCH_RESULT, for every key of the call.
        return asked.map(() => error as Error)
      }
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
