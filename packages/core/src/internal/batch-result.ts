import { BatchResultError } from '../errors.js'
import { describeValue } from './validate.js'

/** What one `loadMany` call answered, read against the keys it was asked. */
export interface BatchAnswer {
  /** The value of each asked key, in the order asked; `undefined` for a key left out. */
  values: unknown[]
  /** Keys in the answer that were not asked: ignored, and reported by the caller. */
  ignored: string[]
}

/**
 * Reads a `loadMany` result: a `Map` or a plain object keyed by key. Keys it leaves out are "not
 * found"; keys it adds are ignored. Anything else (an array, a string, `null`) throws
 * `CG_BATCH_RESULT`: guessing what it meant could cache a wrong value under a key.
 */
export function readBatchResult(result: unknown, asked: readonly string[]): BatchAnswer {
  if (result instanceof Map) {
    return { values: asked.map((key) => result.get(key)), ignored: extraKeys(result.keys(), asked) }
  }
  if (typeof result === 'object' && result !== null && !Array.isArray(result)) {
    const record = result as Record<string, unknown>
    const values = asked.map((key) => (Object.hasOwn(record, key) ? record[key] : undefined))
    return { values, ignored: extraKeys(Object.keys(record), asked) }
  }
  throw new BatchResultError(describeValue(result))
}

function extraKeys(answered: Iterable<unknown>, asked: readonly string[]): string[] {
  const wanted = new Set<unknown>(asked)
  const ignored: string[] = []
  for (const key of answered) if (!wanted.has(key)) ignored.push(String(key))
  return ignored
}
