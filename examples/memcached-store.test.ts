import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MemcachedServer, startMemcachedServer } from '../test/helpers/memcached-server.js'
import { runExample } from './run-example.js'

// Started in a hook, not at import: a run whose name filter leaves none of these tests runs no
// hook, and would never stop it.
let server: MemcachedServer
beforeAll(async () => {
  server = await startMemcachedServer()
})
afterAll(() => server?.stop())

describe('examples | memcached store', () => {
  it('runs the @cacheguard/memcached README example against a real memcached', async () => {
    const { stdout, stderr } = await runExample('./memcached-store.ts', {
      MEMCACHED_URL: server.url,
    })
    expect(stdout).toContain("{ id: 42, name: 'user 42' } { id: 42, name: 'user 42' }")
    expect(stdout).toContain('calls: 101, database queries: 1')
    expect(stdout).toContain("long key: [ 'LIS', 'OPO' ]")
    expect(stdout).toContain('too large: CG_VALUE_TOO_LARGE')
    expect(stdout).toContain("40 days: { theme: 'dark' }")
    expect(stderr).toBe('')
  })
})
