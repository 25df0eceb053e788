import type { MemberSource } from '../bloom.js'

/** Yields the members of `source` in arrays of at most `size`. */
export async function* batches(source: MemberSource, size: number): AsyncGenerator<string[]> {
  let batch: string[] = []
  for await (const member of source) {
    if (typeof member !== 'string') {
      throw new TypeError(
        `Expected every member to be a string, got \`${String(member)}\` (${typeof member})`,
      )
    }
    batch.push(member)
    if (batch.length >= size) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}
