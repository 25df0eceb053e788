import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { memoryStore } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { describe, expect, it } from 'vitest'
import { connectRedis, redisUrl, uniquePrefix } from '../../test/helpers/redis.js'
import { runPenetration } from './penetration.js'
import { runBreakdown } from './scenario.js'

const run = promisify(execFile)
const redis = connectRedis()

describe('storm demo | breakdown', () => {
  it.each([
    ['memory', () => memoryStore()],
    ['redis', () => redisStore(redis, { prefix: uniquePrefix('storm') })],
  ] as const)('reports the queries the database really received (%s)', async (_, store) => {
    const [without, guarded] = await runBreakdown({ store, requests: 200, latencyMs: 5 })
    // The unprotected run let (nearly) every request through; cacheguard let one.
    expect(without.dbQueries).toBeGreaterThan(150)
    expect(guarded.dbQueries).toBe(1)
    expect(guarded.peakConcurrent).toBe(1)
    for (const result of [without, guarded]) {
      expect(result.requests).toBe(200)
      expect(result.errors).toBe(0)
      expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms)
    }
  })

  it.each([
    ['memory', false],
    ['redis', true],
  ] as const)('penetration: the database sees only the false positives (%s)', async (_, shared) => {
    const store = shared
      ? () => redisStore(redis, { prefix: uniquePrefix('storm') })
      : () => memoryStore()
    const filterOn = shared ? { redis, prefix: uniquePrefix('storm-bloom') } : {}
    const [without, guarded] = await runPenetration({
      store,
      requests: 2000,
      knownIds: 10_000,
      latencyMs: 1,
      ...filterOn,
    })
    expect(without.dbQueries).toBe(2000)
    // 1% false positives: about 20 of 2,000; far below the unprotected run either way.
    expect(guarded.dbQueries).toBeLessThanOrEqual(60)
    expect(without.errors + guarded.errors).toBe(0)
    if (shared) {
      const keys = await redis.keys(`${filterOn.prefix}*`)
      if (keys.length > 0) await redis.del(keys)
    }
  })

  it('prints the table from a real run of the CLI', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url))
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=cacheguard-source',
        main,
        '--requests',
        '100',
        '--unknown',
        '500',
        '--latency',
        '5',
      ],
      {
        env: { ...process.env, REDIS_URL: redisUrl() },
        cwd: fileURLToPath(new URL('..', import.meta.url)),
      },
    )
    expect(stdout).toContain('Store: Redis')
    const withRow = stdout
      .split('\n')
      .find((line) => line.includes('with cacheguard') && line.startsWith('breakdown'))
    expect(withRow?.split(/\s{2,}/)[2]).toBe('1')
    expect(stdout).toMatch(/breakdown: \d+ database queries became 1;/)
    const penetration = stdout.split('\n').filter((line) => line.startsWith('penetration '))
    expect(penetration.map((line) => line.split(/\s{2,}/)[2])[0]).toBe('500')
  })

  it('runs the README example against the real Redis', async () => {
    const file = fileURLToPath(new URL('../wrap-ioredis.ts', import.meta.url))
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--conditions=cacheguard-source', file],
      {
        env: { ...process.env, REDIS_URL: redisUrl() },
        cwd: fileURLToPath(new URL('..', import.meta.url)),
      },
    )
    expect(stdout).toContain(
      "{ id: 42, name: 'user 42' } loaded once for 100 concurrent calls: true",
    )
    expect(stdout).toContain('from Redis: true')
  })

  it('runs the @cacheguard/bloom README example', async () => {
    const file = fileURLToPath(new URL('../bloom-guard.ts', import.meta.url))
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--conditions=cacheguard-source', file],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
      },
    )
    expect(stdout.trim().split('\n')).toEqual(["{ id: '7' }", 'undefined', '1'])
  })
})
