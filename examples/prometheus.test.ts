import { describe, expect, it } from 'vitest'
import { redisUrl } from '../test/helpers/redis.js'
import { runExample } from './run-example.js'

describe('examples | prometheus', () => {
  it('runs the @cacheguard/prometheus README example and scrapes its /metrics', async () => {
    const { stdout } = await runExample('./prometheus.ts', { REDIS_URL: redisUrl() })
    const lines = stdout.trim().split('\n')
    expect(lines).toContain('cacheguard_hits_total{cache="users"} 9')
    expect(lines).toContain('cacheguard_loads_total{cache="users"} 2')
    expect(lines).toContain(
      'cacheguard_errors_total{cache="users",code="CG_LOADER",operation="load"} 1',
    )
    expect(lines).toContain('cacheguard_warmup_runs_total{cache="users",outcome="complete"} 1')
    expect(lines).toContain('cacheguard_warmup_keys_total{cache="users",result="loaded"} 2')
  })
})
