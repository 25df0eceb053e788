/** One operation of a benchmark; `worker` is the caller's index, from 0 to concurrency - 1. */
export type Operation = (worker: number) => Promise<unknown>

/**
 * Runs `operation` from `concurrency` callers, each looping one call at a time, for `seconds`,
 * and returns operations per second.
 */
export async function opsPerSecond(
  operation: Operation,
  concurrency: number,
  seconds: number,
): Promise<number> {
  let ops = 0
  const end = performance.now() + seconds * 1000
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        await operation(worker)
        ops++
      }
    }),
  )
  return ops / seconds
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** A contender in a comparison: the baseline is named first. */
export interface Contender {
  name: string
  operation: Operation
}

export interface Comparison {
  scenario: string
  concurrency: number
  /** Median ops/s per contender, baseline first. */
  results: Array<{ name: string; opsPerSecond: number; ratio: number }>
}

/**
 * Measures contenders in alternating rounds (A, B, A, B, ...) after a warmup, so that drift of
 * the machine hits all of them alike, and reports each median as a ratio to the first.
 */
export async function compare(
  scenario: string,
  contenders: Contender[],
  options: { concurrency: number; rounds: number; seconds: number },
): Promise<Comparison> {
  const samples = contenders.map(() => [] as number[])
  for (const contender of contenders)
    await opsPerSecond(contender.operation, options.concurrency, 0.2)
  for (let round = 0; round < options.rounds; round++) {
    for (const [i, contender] of contenders.entries()) {
      samples[i]!.push(
        await opsPerSecond(contender.operation, options.concurrency, options.seconds),
      )
    }
  }
  const medians = samples.map(median)
  return {
    scenario,
    concurrency: options.concurrency,
    results: contenders.map((c, i) => ({
      name: c.name,
      opsPerSecond: medians[i]!,
      ratio: medians[i]! / medians[0]!,
    })),
  }
}

/** Prints comparisons as one table. */
export function printTable(comparisons: Comparison[]): void {
  const rows = [['scenario', 'concurrency', 'contender', 'ops/s', 'ratio']]
  for (const c of comparisons) {
    for (const r of c.results) {
      rows.push([
        c.scenario,
        String(c.concurrency),
        r.name,
        Math.round(r.opsPerSecond).toLocaleString('en-US'),
        r.ratio.toFixed(2),
      ])
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  for (const [index, row] of rows.entries()) {
    console.log(
      row
        .map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join('  '),
    )
    if (index === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  }
}
