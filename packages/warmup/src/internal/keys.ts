/** Where a warmup's keys come from. */
export type KeySource =
  | Iterable<string>
  | AsyncIterable<string>
  | (() =>
      | Iterable<string>
      | AsyncIterable<string>
      | Promise<Iterable<string> | AsyncIterable<string>>)

/** Resolves a key source to something `for await` can walk, checking what it got. */
export async function resolveKeys(
  source: KeySource,
): Promise<Iterable<string> | AsyncIterable<string>> {
  const keys = typeof source === 'function' ? await source() : source
  const iterable =
    keys !== null &&
    typeof keys === 'object' &&
    (Symbol.iterator in keys || Symbol.asyncIterator in keys)
  if (!iterable || typeof keys === 'string') {
    throw new TypeError(
      `Expected \`keys\` to be an array, an iterable, an async iterable, or a function returning one, got ${typeof keys}`,
    )
  }
  return keys
}
