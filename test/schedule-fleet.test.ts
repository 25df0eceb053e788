import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { connectRedis, redisUrl, uniquePrefix } from './helpers/redis.js'

const run = promisify(execFile)
const redis = connectRedis()
const prefix = uniquePrefix('fleet')

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

type Line = { started?: number; ran?: number; skipped?: number; reason?: string; error?: string }

describe('schedule warmup | two processes, one lock', () => {
  it('runs each per-second tick once in the whole fleet', async () => {
    const child = fileURLToPath(new URL('./fixtures/schedule-child.ts', import.meta.url))
    // Both processes stop at the same moment; tsx needs about a second to start each.
    const deadline = Date.now() + 8000
    const outputs = await Promise.all(
      [1, 2].map(() =>
        run(process.execPath, [
          '--import',
          'tsx',
          '--conditions=cacheguard-source',
          child,
          redisUrl(),
          prefix,
          String(deadline),
        ]),
      ),
    )
    const lines = outputs.map(({ stdout }) =>
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Line),
    )
    expect(lines.flat().filter((line) => line.error)).toEqual([])
    const bothUp = Math.max(...lines.map((own) => own.find((line) => line.started)?.started ?? 0))
    const ran = lines.flat().flatMap((line) => (line.ran === undefined ? [] : [line.ran]))
    // Every tick after both processes were up was seen by both: one ran it, the other skipped it.
    const shared = [...new Set(ran)].filter((tick) => tick > bothUp)
    expect(shared.length).toBeGreaterThanOrEqual(5)
    for (const tick of shared) {
      const seen = lines.map((own) =>
        own.find((line) => line.ran === tick || line.skipped === tick),
      )
      expect(seen.filter((line) => line?.ran === tick)).toHaveLength(1)
      expect(seen.filter((line) => line?.reason === 'elsewhere')).toHaveLength(1)
    }
    // No tick ran twice, and the fleet loaded once per tick run.
    expect(new Set(ran).size).toBe(ran.length)
    expect(Number(await redis.get(`${prefix}loads`))).toBe(ran.length)
  })
})
