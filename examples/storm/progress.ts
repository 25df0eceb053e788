/** Prints what the demo is doing while it runs. */
export interface Progress {
  /** Starts a step: prints its text, and on a terminal keeps its elapsed time up to date. */
  step(text: string): void
  /** Ends the current step, printing how long it took. */
  done(): void
}

/**
 * A progress printer on `out` (stdout by default). On a terminal the current step's line counts
 * its seconds in place; elsewhere (a pipe, CI) each step prints one line when it ends.
 *
 * @example
 * const progress = createProgress()
 * progress.step('breakdown, without cacheguard')
 * await run()
 * progress.done() // "  breakdown, without cacheguard: 0.4 s"
 */
export function createProgress(out: NodeJS.WriteStream = process.stdout): Progress {
  let current: { text: string; started: number; timer?: NodeJS.Timeout } | undefined
  const elapsed = () => `${((performance.now() - (current?.started ?? 0)) / 1000).toFixed(1)} s`
  const done = () => {
    if (!current) return
    clearInterval(current.timer)
    out.write(`${out.isTTY ? '\r' : ''}  ${current.text}: ${elapsed()}\n`)
    current = undefined
  }
  return {
    step(text) {
      done()
      current = { text, started: performance.now() }
      if (out.isTTY) {
        out.write(`  ${text}: ...`)
        current.timer = setInterval(() => out.write(`\r  ${text}: ${elapsed()}`), 250)
        current.timer.unref()
      }
    },
    done,
  }
}
