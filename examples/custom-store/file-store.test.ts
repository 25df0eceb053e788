// The custom store runs exactly the suite our own stores run.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runStoreConformance } from '@cacheguard/core/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { fileStore } from './file-store.js'

const directory = await mkdtemp(join(tmpdir(), 'cacheguard-file-store-'))
afterAll(() => rm(directory, { recursive: true, force: true }))

runStoreConformance({
  name: 'fileStore (examples/custom-store)',
  store: () => fileStore(directory),
})

describe('fileStore | its own edges', () => {
  it('refuses a directory that is not a path', () => {
    expect(() => fileStore('')).toThrow(/non-empty path/)
  })

  it('reads a file it cannot parse as absent, as the contract asks of expired entries', async () => {
    const { writeFile } = await import('node:fs/promises')
    const { createHash } = await import('node:crypto')
    const store = fileStore(directory)
    await store.set('k', 'v', 60_000)
    const file = join(directory, createHash('sha256').update('k').digest('hex'))
    await writeFile(file, 'not a header')
    expect(await store.get('k')).toBeUndefined()
  })
})
