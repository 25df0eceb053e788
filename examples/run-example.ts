import { execFile } from 'node:child_process'
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
