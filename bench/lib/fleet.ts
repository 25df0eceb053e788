// A fleet of child processes driven over IPC, for the benchmarks across processes (stampede.ts,
// peers-stampede.ts). Each child script answers `{ ready }` once connected, `{ done }` or
// `{ failed: message }` per request, and closes its connections and exits on `{ exit: true }`;
// `answerRuns` is that loop, from the child's side.
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * Resolves the next message of `child`; rejects on a `{ failed }` message, if the child exits,
 * or if it says nothing for `timeoutMs`.
 */
export function receive<M extends object>(child: ChildProcess, timeoutMs = 30_000): Promise<M> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    const onMessage = (message: M | { failed: string }) => {
      done()
      if ('failed' in message) reject(new Error(`child ${child.pid}: ${message.failed}`))
      else resolve(message)
    }
    const onExit = (code: number | null) => {
      done()
      reject(new Error(`child ${child.pid} exited (code ${code}) before answering`))
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`child ${child.pid} did not answer within ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}

/**
 * Forks `count` children of `script` (a .ts file under bench/, run by tsx with packages resolved
 * to source as the parent does) with `args`, and waits for each one's first message (its "ready",
 * returned in the children's order). If one fails to start, the others are stopped before the
 * error is thrown.
 *
 * @example
 * const { fleet } = await startFleet(new URL('./lib/stampede-child.ts', import.meta.url), [url, prefix], 4)
 */
export async function startFleet<Ready extends object = object>(
  script: URL,
  args: string[],
  count: number,
): Promise<{ fleet: ChildProcess[]; ready: Ready[] }> {
  const fleet = Array.from({ length: count }, () =>
    fork(fileURLToPath(script), args, {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      execArgv: ['--import', 'tsx', '--conditions=cacheguard-source'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  )
  try {
    return { fleet, ready: await Promise.all(fleet.map((child) => receive<Ready>(child))) }
  } catch (error) {
    await stopFleet(fleet)
    throw error
  }
}

/** Asks every child to close its connections and exit; kills (by pid) one that has not in 5 s. */
export async function stopFleet(fleet: ChildProcess[]): Promise<void> {
  await Promise.all(
    fleet.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      if (child.connected) child.send({ exit: true })
      const timer = setTimeout(() => child.kill(), 5000)
      await exited
      clearTimeout(timer)
    }),
  )
}

/** What the parent sends a child: a request to run, or to close its connections and exit. */
export type ToFleetChild<Run> = { run: Run } | { exit: true }

/**
 * In a child of a fleet: answers each `{ run }` with `{ done: <report> }`, or `{ failed: message }`
 * if `run` throws, and on `{ exit: true }` awaits `close` and disconnects, so the process can exit.
 *
 * @example
 * answerRuns(run, async () => {
 *   await redis.quit()
 * })
 */
export function answerRuns<Run, Report>(
  run: (request: Run) => Promise<Report>,
  close: () => Promise<void>,
): void {
  process.on('message', (message: ToFleetChild<Run>) => {
    if ('run' in message) {
      run(message.run).then(
        (done) => process.send?.({ done }),
        (error: unknown) => process.send?.({ failed: String(error) }),
      )
    } else if ('exit' in message) {
      void (async () => {
        await close()
        process.disconnect()
      })()
    }
  })
}
