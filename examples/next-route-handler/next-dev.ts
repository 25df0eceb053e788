import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('.', import.meta.url))
const next = fileURLToPath(new URL('../node_modules/.bin/next', import.meta.url))
// What `next dev` writes into the example (see .gitignore): removed by `stop` unless it was there.
const written = ['.next', 'next-env.d.ts', 'cache']

/** A `next dev` server started by `startNextDev`. */
export interface NextDevServer {
  /** The URL it printed (`- Local: <url>`). */
  readonly url: string
  /** Everything it printed to stdout so far. */
  readonly output: string
  /** The CLI's process id, which is also its process group id. */
  readonly pid: number
  /**
   * Sends SIGTERM to its whole process group (Next serves from a child process of the CLI),
   * waits until no process of it is left, and removes what it wrote into the example. Rejects if
   * some process was still there 10 s later (it is then killed).
   */
  stop(): Promise<void>
}

/**
 * Starts `next dev` (Turbopack) on this example, on a free port of 127.0.0.1 and as the leader of
 * its own process group, with `env` added to the test's, and resolves once it is ready; routes
 * compile on their first request. Rejects (and cleans up) if it exits first or takes `timeoutMs`.
 *
 * @example
 * const server = await startNextDev({ REDIS_URL: redisUrl() })
 * await fetch(`${server.url}/products/7`)
 * await server.stop()
 */
export async function startNextDev(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<NextDevServer> {
  const existed = written.filter((name) => existsSync(`${dir}/${name}`))
  const child: ChildProcess = spawn(next, ['dev', '--hostname', '127.0.0.1', '--port', '0'], {
    cwd: dir,
    // Not Vitest's NODE_ENV=test, which next dev warns about: what next dev sets by itself.
    env: { ...process.env, NODE_ENV: 'development', NEXT_TELEMETRY_DISABLED: '1', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const pgid = child.pid!
  // If the test process ends without `stop` (a crash, a timeout), the server must not outlive it.
  const killGroup = () => signalGroup(pgid, 'SIGKILL')
  process.once('exit', killGroup)

  const stop = async () => {
    process.off('exit', killGroup)
    const exited = child.exitCode === null && child.signalCode === null ? once(child, 'exit') : null
    signalGroup(pgid, 'SIGTERM')
    await exited
    let left = false
    for (let waited = 0; groupAlive(pgid); waited += 50) {
      if (waited >= 10_000) {
        left = true
        signalGroup(pgid, 'SIGKILL')
      }
      await sleep(50)
    }
    const created = written.filter((name) => !existed.includes(name))
    await Promise.all(created.map((name) => rm(`${dir}/${name}`, { recursive: true, force: true })))
    if (left) throw new Error(`next dev (process group ${pgid}) outlived SIGTERM by 10 s`)
  }

  let output = ''
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`next dev was not ready in ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      )
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk
        const match = /Local:\s+(http\S+)[\s\S]*Ready in/.exec(output)
        if (match) {
          clearTimeout(timer)
          resolve(match[1]!)
        }
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`next dev exited with ${code}:\n${output}`))
      })
    })
    return {
      url,
      get output() {
        return output
      },
      pid: pgid,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** Whether any process of the group `pgid` is left. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch {
    // The group has already ended.
  }
}
