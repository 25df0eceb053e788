import { readFile } from 'node:fs/promises'
import { errors } from '@cacheguard/core'
import { describe, expect, it } from 'vitest'

describe('docs/errors.md', () => {
  it('lists every error code exactly once, and no code that does not exist', async () => {
    const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8')
    const rows = [...doc.matchAll(/^\| `(CG_[A-Z_]+)` \| `(\w+)` \|/gm)].map((m) => [m[1], m[2]])
    const documented = rows.map(([code]) => code)
    expect(new Set(documented).size).toBe(documented.length)
    expect(documented.sort()).toEqual(Object.keys(errors).sort())
    for (const [code, className] of rows) {
      const ErrorClass = errors[code as keyof typeof errors]
      expect(ErrorClass.name).toBe(className)
    }
  })
})
