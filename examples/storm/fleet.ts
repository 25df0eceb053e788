import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Child processes forked from one TypeScript module and driven by request/answer messages. */
export interface Fleet {
  /** The children's process ids, in order. */
  readonly pids: readonly number[]
  /**
   * Sends `message` to every child and resolves their answers, in child order. Rejects when a
   * child answers `{ type: 'error', message }`, exits, or does not answer within `timeoutMs`.
   */
  ask<Answer>(message: object, timeoutMs: number): Promise<Answer[]>
  /** Sends `{ type: 'close' }`, waits up to `graceMs` for each child to exit, then kills it. */
  close(graceMs?: number): Promise<void>
}

const EXAMPLES_DIR = fileURLToPath(new URL('..', import.meta.url))
const TAIL_CHARS = 2000

/**
 * Forks `count` children running `module` (a path) with node and tsx, the way the demo itself
 * runs, each with an IPC channel. Their output is kept (its tail) to explain a failure.
 *
 * @example
 * const fleet = forkFleet('./worker.ts', 4, 'worker')
 * try { await fleet.ask({ type: 'setup' }, 10_000) } finally { await fleet.close() }
 */
export function forkFleet(module: string, count: number, name: string): Fleet {
  const children = Array.from({ length: count }, (_, i) => start(module, `${name} ${i + 1}`))
  return {
    pids: children.map((child) => child.process.pid ?? -1),
    ask: <Answer>(message: object, timeoutMs: number) =>
      Promise.all(children.map((child) => child.ask<Answer>(message, timeoutMs))),
    close: async (graceMs = 2000) => {
      await Promise.all(children.map((child) => child.close(graceMs)))
    },
  }
}

interface Child {
  process: ChildProcess
  ask<Answer>(message: object, timeoutMs: number): Promise<Answer>
  close(graceMs: number): Promise<void>
}

function start(module: string, label: string): Child {
  // `--import tsx` resolves from the working directory: examples/, whose node_modules has tsx.
  const child = fork(module, [], {
    cwd: EXAMPLES_DIR,
    execArgv: ['--import', 'tsx', '--conditions=cacheguard-source'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let tail = ''
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-TAIL_CHARS)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  // Exit (or failure to spawn) is remembered, so an `ask` after it fails at once.
  let ended: Error | undefined
  const exited = new Promise<void>((resolve) => {
    const end = (error: Error) => {
      ended ??= error
      resolve()
    }
    // 'close', not 'exit': only then has all of the child's output been read.
    child.once('close', (code, signal) => {
      end(new Error(`${label} exited (${signal ?? `code ${code}`})${lastWords(tail)}`))
    })
    // Kept for the child's life: an 'error' event without a listener would throw here.
    child.on('error', (error) => end(new Error(`${label}: ${error.message}`)))
  })

  return {
    process: child,
    ask<Answer>(message: object, timeoutMs: number) {
      return new Promise<Answer>((resolve, reject) => {
        let settled = false
        const settle = (error: Error | undefined, answer?: unknown) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          child.off('message', onMessage)
          if (error) reject(error)
          else resolve(answer as Answer)
        }
        const onMessage = (answer: { type?: string; message?: string }) => {
          if (answer.type === 'error') settle(new Error(`${label}: ${answer.message}`))
          else settle(undefined, answer)
        }
        const timer = setTimeout(
          () =>
            settle(new Error(`${label} did not answer within ${timeoutMs} ms${lastWords(tail)}`)),
          timeoutMs,
        )
        child.on('message', onMessage)
        void exited.then(() => settle(ended))
        if (!child.connected) return
        child.send(message, (error) => {
          if (error) settle(new Error(`${label}: cannot send to it: ${error.message}`))
        })
      })
    },
    async close(graceMs) {
      if (ended) return
      if (child.connected) child.send({ type: 'close' }, () => {})
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(resolve, graceMs, 'late')
      })
      if ((await Promise.race([exited, late])) === 'late') {
        child.kill('SIGKILL')
        await exited
      }
      clearTimeout(timer)
    },
  }
}

/** What a child's output says went wrong: its last error line (a stack's first), else its last line. */
function lastWords(output: string): string {
  const lines = output.split('\n').filter((line) => line.trim() !== '')
  const line = lines.findLast((line) => /^[\w.]*(Error|Exception)\b/.test(line)) ?? lines.at(-1)
  return line ? `: ${line.trim().slice(0, 300)}` : ''
}
