import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { connectRedis, redisUrl, uniquePrefix } from '../../test/helpers/redis.js'

const run = promisify(execFile)
const redis = connectRedis()
const prefix = uniquePrefix('cron-example')
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
const env = { ...process.env, REDIS_URL: redisUrl(), CACHE_PREFIX: prefix }
const tsx = ['--import', 'tsx', '--conditions=cacheguard-source']

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

describe('examples | cron-warmup', () => {
  it('runs job.ts once through the cacheguard-warmup CLI, then finds every key fresh', async () => {
    const cli = here('../../packages/warmup/src/cli.ts')
    const first = await run(process.execPath, [...tsx, cli, here('./job.ts'), '--json'], { env })
    expect(JSON.parse(first.stdout)).toMatchObject({ total: 200, loaded: 200, failed: 0 })
    expect(await redis.keys(`${prefix}product:*`)).toHaveLength(200)
    const second = await run(process.execPath, [...tsx, cli, here('./job.ts'), '--json'], { env })
    expect(JSON.parse(second.stdout)).toMatchObject({ total: 200, loaded: 0, skipped: 200 })
  })

  it('runs schedule.ts for two ticks under its Redlock and exits', async () => {
    const { stdout } = await run(
      process.execPath,
      [...tsx, here('./schedule.ts'), '--ticks', '2'],
      {
        env,
      },
    )
    const lines = stdout.trim().split('\n')
    expect(lines).toHaveLength(2)
    for (const line of lines) expect(line).toMatch(/ran: \d+ loaded, \d+ skipped, 0 failed$/)
  })
})
