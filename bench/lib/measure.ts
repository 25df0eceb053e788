/** One operation of a benchmark; `worker` is the caller's index, from 0 to concurrency - 1. */
export type Operation = (worker: number) => Promise<unknown>

/** What one timed run of an operation measured. */
export interface Sample {
  opsPerSecond: number
  /** CPU time of this whole process (user + system) per operation, in microseconds. */
  cpuMicrosPerOp: number
  /** How long the run took, calls in flight at the deadline included. */
  seconds: number
}

/**
 * Runs `operation` from `concurrency` callers, each looping one call at a time, for `seconds`.
 * Calls still in flight at the deadline are awaited and counted, over the time they really took.
 */
export async function sample(
  operation: Operation,
  concurrency: number,
  seconds: number,
): Promise<Sample> {
  let ops = 0
  const started = performance.now()
  const end = started + seconds * 1000
  const cpuBefore = process.cpuUsage()
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        await operation(worker)
        ops++
      }
    }),
  )
  const cpu = process.cpuUsage(cpuBefore)
  const elapsed = (performance.now() - started) / 1000
  return {
    opsPerSecond: ops / elapsed,
    cpuMicrosPerOp: (cpu.user + cpu.system) / ops,
    seconds: elapsed,
  }
}

/** Operations per second of `operation` from `concurrency` callers over `seconds`. */
export async function opsPerSecond(
  operation: Operation,
  concurrency: number,
  seconds: number,
): Promise<number> {
  return (await sample(operation, concurrency, seconds)).opsPerSecond
}

/** The middle value (the mean of the two middle values for an even count). */
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
  /** Medians per contender, baseline first. */
  results: Array<{
    name: string
    opsPerSecond: number
    /** Median ops/s divided by the baseline's median ops/s: the headline figure. */
    ratio: number
    /** The lowest and highest ratio to the baseline's run of the same round: the spread. */
    roundRatios: [number, number]
    cpuMicrosPerOp: number
  }>
}

/** How long each contender runs before the next one takes over, within a round. */
const SLICE_SECONDS = 0.1

/**
 * Measures contenders in alternating rounds after a warmup, and reports each median as a ratio to
 * the first. Within a round the contenders take turns every 0.1 s (A, B, A, B, ...) until each
 * has run for `seconds`: the machine's state drifts (a small VM's CPUs fall asleep between round
 * trips, or stay awake, for seconds at a time), and fine turns expose every contender to it alike.
 */
export async function compare(
  scenario: string,
  contenders: Contender[],
  options: { concurrency: number; rounds: number; seconds: number },
): Promise<Comparison> {
  const samples = contenders.map(() => [] as Sample[])
  for (const contender of contenders) await sample(contender.operation, options.concurrency, 0.2)
  const slices = Math.max(1, Math.round(options.seconds / SLICE_SECONDS))
  for (let round = 0; round < options.rounds; round++) {
    const totals = contenders.map(() => ({ ops: 0, seconds: 0, cpuMicros: 0 }))
    for (let slice = 0; slice < slices; slice++) {
      for (const [i, contender] of contenders.entries()) {
        const run = await sample(contender.operation, options.concurrency, options.seconds / slices)
        const total = totals[i]!
        const ops = run.opsPerSecond * run.seconds
        total.ops += ops
        total.seconds += run.seconds
        total.cpuMicros += run.cpuMicrosPerOp * ops
      }
    }
    for (const [i, total] of totals.entries()) {
      samples[i]!.push({
        opsPerSecond: total.ops / total.seconds,
        cpuMicrosPerOp: total.cpuMicros / total.ops,
        seconds: total.seconds,
      })
    }
  }
  const baseline = samples[0]!.map((s) => s.opsPerSecond)
  const baselineMedian = median(baseline)
  return {
    scenario,
    concurrency: options.concurrency,
    results: contenders.map((c, i) => {
      const ops = samples[i]!.map((s) => s.opsPerSecond)
      const paired = ops.map((value, round) => value / baseline[round]!)
      return {
        name: c.name,
        opsPerSecond: median(ops),
        ratio: median(ops) / baselineMedian,
        roundRatios: [Math.min(...paired), Math.max(...paired)],
        cpuMicrosPerOp: median(samples[i]!.map((s) => s.cpuMicrosPerOp)),
      }
    }),
  }
}

/** Prints comparisons as one table, ratios first. */
export function printTable(comparisons: Comparison[]): void {
  const rows = [['scenario', 'callers', 'contender', 'ratio', 'per round', 'ops/s', 'CPU µs/op']]
  for (const c of comparisons) {
    for (const r of c.results) {
      rows.push([
        c.scenario,
        String(c.concurrency),
        r.name,
        r.ratio.toFixed(2),
        `${r.roundRatios[0].toFixed(2)}–${r.roundRatios[1].toFixed(2)}`,
        Math.round(r.opsPerSecond).toLocaleString('en-US'),
        r.cpuMicrosPerOp.toFixed(2),
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
