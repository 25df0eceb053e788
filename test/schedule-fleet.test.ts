import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { connectRedis, redisUrl, uniquePrefix } from './helpers/redis.js'

const CHILD = fileURLToPath(new URL('./fixtures/schedule-child.ts', import.meta.url))
const redis = connectRedis()
const prefix = uniquePrefix('fleet')
const children = new Set<ChildProcess>()

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

type Line = { started?: number; ran?: number; skipped?: number; reason?: string; error?: string }

/** Starts a schedule process; `started` resolves once its schedule is set, `lines` at its exit. */
function startChild() {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=cacheguard-source', CHILD, redisUrl(), prefix],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  children.add(child)
  let stdout = ''
  let onStarted = () => {}
  const started = new Promise<void>((resolve) => {
    onStarted = resolve
  })
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
    if (stdout.includes('"started"')) onStarted()
  })
  const lines = new Promise<Line[]>((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code) => {
      children.delete(child)
      if (code !== 0) return reject(new Error(`the schedule process exited with ${code}`))
      try {
        resolve(
          stdout
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as Line),
        )
      } catch (error) {
        reject(error)
      }
    })
  })
  return {
    started: Promise.race([started, lines.then(() => Promise.reject(new Error('exited early')))]),
    lines,
    stopAt: (deadline: number) => child.stdin.end(`${deadline}\n`),
  }
}

describe('schedule warmup | two processes, one lock', () => {
  // tsx takes seconds to start a process on a loaded machine: 60 s allows for two of them.
  it('runs each per-second tick once in the whole fleet', async () => {
    const fleet = [startChild(), startChild()]
    await Promise.all(fleet.map((child) => child.started))
    // One deadline for both, set once both are up: at least 6 s of ticks, and half a second away
    // from the nearest tick (they come on whole seconds), so no process stops just before or
    // just after a tick the other one sees.
    const deadline = Math.ceil((Date.now() + 5500) / 1000) * 1000 + 500
    for (const child of fleet) child.stopAt(deadline)
    const lines = await Promise.all(fleet.map((child) => child.lines))
    expect(lines.flat().filter((line) => line.error)).toEqual([])
    const bothUp = Math.max(...lines.map((own) => own.find((line) => line.started)?.started ?? 0))
    const ran = lines.flat().flatMap((line) => (line.ran === undefined ? [] : [line.ran]))
    // Every tick between both processes being up and the deadline was seen by both: one ran it,
    // the other skipped it.
    const shared = [...new Set(ran)].filter((tick) => tick > bothUp && tick < deadline)
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
  }, 60_000)
})
