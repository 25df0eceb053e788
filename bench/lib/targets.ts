// Targets a benchmark checks itself against: each one a minimum ratio between two contenders of
// one scenario, taken from the run's medians, so that "met" never compares figures of two runs.
import type { Comparison } from './measure.js'
import { printRows } from './report.js'

/** One target: `contender`'s median ops/s at least `minimum` times `against`'s, in `scenario`. */
export interface Target {
  /** The target in words, as the table prints it. */
  target: string
  scenario: string
  contender: string
  /** The contender the ratio is taken against, in the same scenario. @default the baseline */
  against?: string
  minimum: number
}

/** A target with the ratio the run measured. */
export interface TargetResult extends Target {
  /** `contender`'s median ops/s over `against`'s median ops/s. */
  measured: number
  met: boolean
}

/**
 * Measures every target against `comparisons`; a target naming a scenario or contender the run
 * does not have is a programming error, and throws.
 *
 * @example
 * const results = evaluateTargets(comparisons, [
 *   { target: 'one caller >= 0.97x raw', scenario: 'Redis, one caller', contender: 'cacheguard', minimum: 0.97 },
 * ])
 */
export function evaluateTargets(comparisons: Comparison[], targets: Target[]): TargetResult[] {
  return targets.map((target) => {
    const comparison = comparisons.find((c) => c.scenario === target.scenario)
    if (comparison === undefined) throw new Error(`No scenario "${target.scenario}" in the run`)
    const rate = (name: string) => {
      const result = comparison.results.find((r) => r.name === name)
      if (result === undefined) throw new Error(`No "${name}" in "${target.scenario}"`)
      return result.opsPerSecond
    }
    const against = target.against ?? comparison.results[0]!.name
    const measured = rate(target.contender) / rate(against)
    return { ...target, against, measured, met: measured >= target.minimum }
  })
}

/** Prints one row per target: what it asks, the ratio measured, and whether it is met. */
export function printTargets(results: TargetResult[]): void {
  printRows([
    ['target', 'measured', 'met?'],
    ...results.map((r) => [r.target, `${r.measured.toFixed(2)}x`, r.met ? 'yes' : 'NO']),
  ])
}
