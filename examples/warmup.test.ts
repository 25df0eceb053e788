import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)

describe('examples | warmup', () => {
  it('runs the @cacheguard/warmup README example', async () => {
    const file = fileURLToPath(new URL('./warmup.ts', import.meta.url))
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--conditions=cacheguard-source', file],
      {
        cwd: fileURLToPath(new URL('.', import.meta.url)),
      },
    )
    expect(stdout).toContain('total: 1000')
    expect(stdout).toContain('loaded: 1000')
    expect(stdout).toContain('failed: 0')
  })
})
