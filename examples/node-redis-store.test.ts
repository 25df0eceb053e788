import { describe, expect, it } from 'vitest'
import { redisUrl } from '../test/helpers/redis.js'
import { runExample } from './run-example.js'

describe('examples | node-redis store', () => {
  it('runs the @cacheguard/node-redis README example: one query per key, fenced, unknown ids blocked', async () => {
    const { stdout } = await runExample('./node-redis-store.ts', { REDIS_URL: redisUrl() })
    expect(stdout).toContain("{ id: '1', name: 'user 1' } callers: 101, database queries: 1")
    expect(stdout).toMatch(/lockGuard: callers: 40, database queries: 1, fence: [1-9]\d*\n/)
    expect(stdout).toContain('bloomGuard: undefined, blocked: 1, database queries: 1')
  })
})
