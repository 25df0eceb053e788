import { describe, expect, it } from 'vitest'
import { runExample } from './run-example.js'

describe('examples | warmup', () => {
  it('runs the @cacheguard/warmup README example', async () => {
    const { stdout } = await runExample('./warmup.ts')
    expect(stdout).toContain('total: 1000')
    expect(stdout).toContain('loaded: 1000')
    expect(stdout).toContain('failed: 0')
  })
})
