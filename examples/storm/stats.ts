/** What timing a batch of requests measured. */
export interface Timing {
  /** Requests sent. */
  requests: number
  /** Requests that threw or answered wrongly. */
  errors: number
  /** Median latency in milliseconds. */
  p50Ms: number
  /** 99th percentile latency in milliseconds. */
  p99Ms: number
}

/**
 * The value below which `p` percent of the samples fall (nearest rank); `NaN` without samples.
 *
 * @example
 * percentile([5, 1, 3, 2, 4], 50) // 3
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

/**
 * Sends `requests` requests, at most `concurrency` in flight at once (all of them by default),
 * and times each one. `request(i)` resolves `true` for a right answer; `false` or a throw counts
 * as an error.
 *
 * @example
 * const timing = await timeRequests(1000, async () => (await cache.getOrSet(key, load)) !== undefined)
 */
export async function timeRequests(
  requests: number,
  request: (index: number) => Promise<boolean>,
  concurrency = requests,
): Promise<Timing> {
  const latencies: number[] = []
  let errors = 0
  const one = async (index: number): Promise<void> => {
    const started = performance.now()
    try {
      if (!(await request(index))) errors++
    } catch {
      errors++
    }
    latencies.push(performance.now() - started)
  }
  const step = Math.max(1, concurrency)
  for (let start = 0; start < requests; start += step) {
    const end = Math.min(requests, start + step)
    await Promise.all(Array.from({ length: end - start }, (_, i) => one(start + i)))
  }
  return { requests, errors, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) }
}

/** The width of one bar of a timeline, in ms. */
export const BUCKET_MS = 100

/**
 * Counts `arrivals` (times in ms, on the same clock as `from`) into 100 ms buckets from `from`
 * until `to`; arrivals outside that span are left out. At least one bucket.
 *
 * @example
 * timeline([5, 20, 150], 0, 200) // [2, 1]
 */
export function timeline(arrivals: readonly number[], from: number, to: number): number[] {
  // The epsilon keeps float noise (from + 5000 - from = 5000.000001) from adding a bucket.
  const buckets = new Array<number>(Math.max(1, Math.ceil((to - from) / BUCKET_MS - 1e-6))).fill(0)
  for (const at of arrivals) {
    const bucket = Math.floor((at - from) / BUCKET_MS)
    if (bucket >= 0 && bucket < buckets.length) buckets[bucket]!++
  }
  return buckets
}
