import { Redlock } from '@sesamecare-oss/redlock'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createCache, memoryStore } from '../../../test/helpers/packages.js'
import { connectRedis, uniquePrefix, unreachableRedis } from '../../../test/helpers/redis.js'
import { type SkippedTick, scheduleWarmup } from './schedule-warmup.js'
import type { WarmupReport } from './warmup.js'

const redis = connectRedis()
const prefix = uniquePrefix('schedule')
const EVERY_SECOND = '* * * * * *'

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function recorder() {
  const reports: Array<{ report: WarmupReport; tick: Date }> = []
  const skips: SkippedTick[] = []
  const errors: unknown[] = []
  return {
    reports,
    skips,
    errors,
    onReport: (report: WarmupReport, tick: Date) => reports.push({ report, tick }),
    onSkip: (skip: SkippedTick) => skips.push(skip),
    onError: (error: unknown) => errors.push(error),
  }
}

describe('schedule warmup | ticks', () => {
  it('runs a warmup on every tick, at the whole second it was scheduled for', async () => {
    const seen = recorder()
    const schedule = scheduleWarmup(createCache({ store: memoryStore(), ttl: '1s' }), {
      cron: EVERY_SECOND,
      keys: ['a', 'b'],
      load: (key) => key,
      force: true,
      ...seen,
    })
    // Two ticks come within 2 s; waiting for them (not for a fixed time) holds on a busy machine.
    const deadline = Date.now() + 10_000
    while (seen.reports.length < 2 && Date.now() < deadline) await sleep(20)
    await schedule.stop()
    expect(seen.reports.length).toBeGreaterThanOrEqual(2)
    for (const { report, tick } of seen.reports) {
      expect(report).toMatchObject({ total: 2, loaded: 2, failed: 0 })
      expect(tick.getTime() % 1000).toBe(0)
    }
    expect(schedule.nextRun()).toBeNull()
  })

  it('skips and reports a tick that finds the previous run still going; stop() waits for it', async () => {
    const seen = recorder()
    let finished = false
    const schedule = scheduleWarmup(createCache({ store: memoryStore() }), {
      cron: EVERY_SECOND,
      keys: ['slow'],
      load: async () => {
        await sleep(1500)
        finished = true
        return 1
      },
      force: true,
      ...seen,
    })
    // The second tick comes 1 s into the first run, which lasts 1.5 s.
    while (seen.skips.length === 0) await sleep(20)
    expect(schedule.running).toBe(true)
    await schedule.stop()
    expect(finished).toBe(true)
    expect(schedule.running).toBe(false)
    expect(seen.skips.map((skip) => skip.reason)).toContain('running')
    expect(seen.reports.length).toBeGreaterThanOrEqual(1)
  })

  it('stop({ abort: true }) stops the running job from starting new keys', async () => {
    const loaded: string[] = []
    const schedule = scheduleWarmup(createCache({ store: memoryStore() }), {
      cron: '0 0 1 1 *',
      keys: Array.from({ length: 50 }, (_, i) => `k${i}`),
      concurrency: 1,
      load: async (key) => {
        loaded.push(key)
        await sleep(20)
        return key
      },
    })
    const run = schedule.trigger()
    await sleep(70)
    await schedule.stop({ abort: true })
    const report = await run
    expect(report?.aborted).toBe(true)
    expect(loaded.length).toBeLessThan(10)
    expect(report?.loaded).toBe(loaded.length)
  })

  it('trigger() while a run is going is skipped and resolves to undefined', async () => {
    const seen = recorder()
    const schedule = scheduleWarmup(createCache({ store: memoryStore() }), {
      cron: '0 0 1 1 *',
      keys: ['x'],
      load: async () => {
        await sleep(100)
        return 1
      },
      ...seen,
    })
    const first = schedule.trigger()
    expect(await schedule.trigger()).toBeUndefined()
    expect((await first)?.loaded).toBe(1)
    expect(seen.skips).toHaveLength(1)
    await schedule.stop()
  })

  it('rejects bad options when the schedule is made, not at the first tick', () => {
    const cache = createCache({ store: memoryStore() })
    const base = { cron: EVERY_SECOND, keys: [], load: () => 1 }
    expect(() => scheduleWarmup(cache, { ...base, cron: 'every day' })).toThrow()
    expect(() => scheduleWarmup(cache, { ...base, concurrency: 0 })).toThrow(/concurrency/)
    expect(() => scheduleWarmup(cache, { ...base, lockTtl: '10ms' })).toThrow(/lockTtl/)
    expect(() => scheduleWarmup(cache, { ...base, lock: {} as never })).toThrow(/Redlock/)
  })
})

describe('schedule warmup | fleet lock', () => {
  it('runs each tick once across two schedules sharing a Redlock', async () => {
    const redlock = new Redlock([redis])
    const seen = [recorder(), recorder()]
    const ticks = new Map<number, number>()
    const schedules = seen.map((events) =>
      scheduleWarmup(createCache({ store: memoryStore() }), {
        cron: EVERY_SECOND,
        keys: ['k'],
        load: () => 1,
        force: true,
        lock: redlock,
        lockPrefix: prefix,
        name: 'pair',
        ...events,
        onReport: (report, tick) => {
          events.onReport(report, tick)
          ticks.set(tick.getTime(), (ticks.get(tick.getTime()) ?? 0) + 1)
        },
      }),
    )
    // Stop at least 3 s on, at a half second: ticks come on whole seconds, so none fires in one
    // schedule just before the stop and in the other just after it.
    const stopAt = Math.ceil((Date.now() + 2500) / 1000) * 1000 + 500
    await sleep(stopAt - Date.now())
    await Promise.all(schedules.map((schedule) => schedule.stop()))
    expect(ticks.size).toBeGreaterThanOrEqual(3)
    expect([...ticks.values()].every((runs) => runs === 1)).toBe(true)
    const elsewhere = seen.flatMap((events) => events.skips).filter((s) => s.reason === 'elsewhere')
    expect(elsewhere.length).toBe(ticks.size)
    expect(seen.flatMap((events) => events.errors)).toEqual([])
  })

  it('skips a tick while another process holds the run lock', async () => {
    const redlock = new Redlock([redis])
    const held = await redlock.acquire([`${prefix}busy:running`], 10_000)
    const seen = recorder()
    const schedule = scheduleWarmup(createCache({ store: memoryStore() }), {
      cron: '0 0 1 1 *',
      keys: ['k'],
      load: () => 1,
      lock: redlock,
      lockPrefix: prefix,
      name: 'busy',
      ...seen,
    })
    // Date alone is pinned, so both triggers are the same tick: the one skipped for `running` must
    // have been given back for the second to run.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-01-01T00:00:00Z') })
    let report: WarmupReport | undefined
    try {
      expect(await schedule.trigger()).toBeUndefined()
      expect(seen.skips.map((skip) => skip.reason)).toEqual(['running'])
      await held.release()
      report = await schedule.trigger()
    } finally {
      vi.useRealTimers()
    }
    expect(seen.skips.map((skip) => skip.reason)).toEqual(['running'])
    expect(report?.loaded).toBe(1)
    await schedule.stop()
  })

  it('reports a lock that cannot be reached as lock-error, with no unhandled rejection', async () => {
    const down = unreachableRedis()
    const seen = recorder()
    const schedule = scheduleWarmup(createCache({ store: memoryStore() }), {
      cron: '0 0 1 1 *',
      keys: ['k'],
      load: () => 1,
      lock: new Redlock([down]),
      ...seen,
    })
    expect(await schedule.trigger()).toBeUndefined()
    expect(seen.skips).toMatchObject([{ reason: 'lock-error' }])
    expect(seen.errors.length).toBeGreaterThan(0)
    await schedule.stop()
    down.disconnect()
  })
})
