/** A simulated database: answers after a fixed latency and counts every query it receives. */
export interface FakeDb {
  /** Looks a user up; `null` for an id that does not exist. */
  findUser(id: number): Promise<{ id: number; name: string; tags: string[] } | null>
  /** Queries received so far. */
  readonly queries: number
  /** The most queries that were running at the same moment. */
  readonly peakConcurrent: number
}

/**
 * Creates a fake database whose queries take `latencyMs`, plus a little more per query already
 * running, the way a real database slows down under a pile-up.
 *
 * @example
 * const db = fakeDb({ latencyMs: 50 })
 * await db.findUser(1)
 * db.queries // 1
 */
export function fakeDb(options: { latencyMs: number; knownIds?: number }): FakeDb {
  let queries = 0
  let running = 0
  let peak = 0
  const knownIds = options.knownIds ?? 1_000_000
  return {
    async findUser(id) {
      queries++
      running++
      peak = Math.max(peak, running)
      // 0.05 ms per concurrent query: a thousand at once cost the last one 50 ms more.
      await new Promise((resolve) => setTimeout(resolve, options.latencyMs + running * 0.05))
      running--
      return id >= 0 && id < knownIds ? { id, name: `user ${id}`, tags: ['a', 'b', 'c'] } : null
    },
    get queries() {
      return queries
    },
    get peakConcurrent() {
      return peak
    },
  }
}
