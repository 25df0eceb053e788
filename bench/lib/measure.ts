import { printRows } from './report.js'

/** One operation of a benchmark; `worker` is the caller's index, from 0 to concurrency - 1. */
export type Operation = (worker: number) => Promise<unknown>

/** What one or more timed runs of an operation counted. */
export interface Sample {
  ops: number
  /** Wall time, calls still in flight at the deadline included. */
  seconds: number
  /** CPU time of this whole process (user + system), in microseconds. */
  cpuMicros: number
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
  return { ops, seconds: (performance.now() - started) / 1000, cpuMicros: cpu.user + cpu.system }
}

/** Operations per second of `operation` from `concurrency` callers over `seconds`. */
export async function opsPerSecond(
  operation: Operation,
  concurrency: number,
  seconds: number,
): Promise<number> {
  const run = await sample(operation, concurrency, seconds)
  return run.ops / run.seconds
}

/** The middle value (the mean of the two middle values for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** The value at rank `p` (0 to 1, nearest rank) of `sorted`, an ascending list. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!
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
  const { concurrency, rounds, seconds } = options
  for (const contender of contenders) await sample(contender.operation, concurrency, 0.2)
  const slices = Math.max(1, Math.round(seconds / SLICE_SECONDS))
  const samples = contenders.map(() => [] as Sample[])
  for (let round = 0; round < rounds; round++) {
    const totals = contenders.map(() => ({ ops: 0, seconds: 0, cpuMicros: 0 }))
    for (let slice = 0; slice < slices; slice++) {
      for (const [i, contender] of contenders.entries()) {
        const run = await sample(contender.operation, concurrency, seconds / slices)
        totals[i]!.ops += run.ops
        totals[i]!.seconds += run.seconds
        totals[i]!.cpuMicros += run.cpuMicros
      }
    }
    for (const [i, total] of totals.entries()) samples[i]!.push(total)
  }
  const rates = samples.map((runs) => runs.map((run) => run.ops / run.seconds))
  const baseline = rates[0]!
  return {
    scenario,
    concurrency,
    results: contenders.map((contender, i) => {
      const paired = rates[i]!.map((rate, round) => rate / baseline[round]!)
      return {
        name: contender.name,
        opsPerSecond: median(rates[i]!),
        ratio: median(rates[i]!) / median(baseline),
        roundRatios: [Math.min(...paired), Math.max(...paired)],
        cpuMicrosPerOp: median(samples[i]!.map((run) => run.cpuMicros / run.ops)),
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
  printRows(rows, 3)
}
