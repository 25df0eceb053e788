import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/**
 * Runs an example file of this folder as its own Node process, the way a reader would (with tsx,
 * the packages resolved to their source), and resolves its output. `env` is added to the test's.
 */
export function runExample(
  name: string,
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  const file = fileURLToPath(new URL(name, import.meta.url))
  return run(process.execPath, ['--import', 'tsx', '--conditions=cacheguard-source', file], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env: { ...process.env, ...env },
    timeout: 30_000,
  })
}

/** An example server started by `startExampleServer`. */
export interface ExampleServer {
  /** The URL it printed (`listening on <url>`). */
  readonly url: string
  /** Everything it printed to stdout so far. */
  readonly output: string
  /** Sends SIGTERM and resolves its exit code once it has ended by itself (`null`: already ended). */
  stop(): Promise<number | null>
}

/**
 * Starts an example server of this folder as its own Node process (tsx, packages from source),
 * with `env` added to the test's, and resolves once it prints `listening on <url>`; rejects if it
 * exits first.
 */
export async function startExampleServer(
  name: string,
  env: Record<string, string>,
): Promise<ExampleServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=cacheguard-source',
      fileURLToPath(new URL(name, import.meta.url)),
    ],
    {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk
      const match = /listening on (\S+)/.exec(output)
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)))
  })
  return {
    url,
    get output() {
      return output
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return null
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const [code] = (await exited) as [number | null]
      return code
    },
  }
}
