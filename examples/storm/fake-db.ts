/** A simulated database: answers after a fixed latency and counts every query it receives. */
export interface FakeDb {
  /** Looks a user up; `null` for an id that does not exist. */
  findUser(id: number): Promise<{ id: number; name: string; tags: string[] } | null>
  /** Queries received so far. */
  readonly queries: number
  /** The most queries that were running at the same moment. */
  readonly peakConcurrent: number
  /** When each query arrived (`performance.now()`), in order. */
  readonly arrivals: readonly number[]
}

/** Options of `fakeDb`. */
export interface FakeDbOptions {
  /** How long a query takes when it runs alone, in milliseconds. @default 50 */
  latencyMs?: number
  /** Ids 0 to `knownIds - 1` exist; any other id is "not found". @default 1000000 */
  knownIds?: number
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
export function fakeDb(options: FakeDbOptions = {}): FakeDb {
  let queries = 0
  let running = 0
  let peak = 0
  const arrivals: number[] = []
  const latencyMs = options.latencyMs ?? 50
  const knownIds = options.knownIds ?? 1_000_000
  return {
    async findUser(id) {
      queries++
      arrivals.push(performance.now())
      running++
      peak = Math.max(peak, running)
      // 0.05 ms per concurrent query: a thousand at once cost the last one 50 ms more.
      await new Promise((resolve) => setTimeout(resolve, latencyMs + running * 0.05))
      running--
      return id >= 0 && id < knownIds ? { id, name: `user ${id}`, tags: ['a', 'b', 'c'] } : null
    },
    get queries() {
      return queries
    },
    get peakConcurrent() {
      return peak
    },
    arrivals,
  }
}
