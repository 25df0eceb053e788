import { describe, expect, it } from 'vitest'
import { redisUrl } from '../test/helpers/redis.js'
import { runExample } from './run-example.js'

describe('examples | lock guard', () => {
  it('runs the @cacheguard/lock README example: one query for 40 callers in two caches', async () => {
    const { stdout } = await runExample('./lock-guard.ts', { REDIS_URL: redisUrl() })
    expect(stdout).toContain('callers: 40, database queries: 1')
  })
})
