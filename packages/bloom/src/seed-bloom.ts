import type { Bloom, MemberSource, RebuildOptions } from './bloom.js'
import { batches } from './internal/batches.js'

/** What a seeding did. */
export interface SeedReport {
  /** Members added. */
  added: number
  durationMs: number
  /** `true` when the filter did not exist yet and was built and swapped in whole. */
  created: boolean
}

/**
 * Fills a filter from the source of truth (an array, iterable or async iterable of members, such
 * as a database cursor of ids), in batches, with progress after each batch. A shared filter that
 * does not exist yet is built beside and swapped in whole, so it never blocks a real key halfway.
 *
 * @example
 * const report = await seedBloom(filter, db.streamUserIds(), { onProgress: (n) => log(n) })
 * console.log(`${report.added} ids in the filter`)
 */
export async function seedBloom(
  filter: Bloom & { exists?: () => Promise<boolean> },
  source: MemberSource,
  options: RebuildOptions = {},
): Promise<SeedReport> {
  const batchSize = options.batchSize ?? 1000
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new TypeError(
      `Expected \`batchSize\` to be a positive integer, got \`${String(batchSize)}\``,
    )
  }
  const started = performance.now()
  if (filter.exists !== undefined && !(await filter.exists())) {
    const added = await filter.rebuild(source, { ...options, batchSize })
    return { added, durationMs: performance.now() - started, created: true }
  }
  let added = 0
  for await (const batch of batches(source, batchSize)) {
    await filter.add(batch)
    added += batch.length
    options.onProgress?.(added)
  }
  return { added, durationMs: performance.now() - started, created: false }
}
