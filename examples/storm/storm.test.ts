import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type CacheStore, memoryStore } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import { afterAll, describe, expect, it } from 'vitest'
import { connectRedis, redisUrl, uniquePrefix } from '../../test/helpers/redis.js'
import { runAvalanche } from './avalanche.js'
import { timelineChart } from './chart.js'
import { type FakeDb, fakeDb } from './fake-db.js'
import { forkFleet } from './fleet.js'
import { runOutage } from './outage.js'
import { runPenetration } from './penetration.js'
import { connectIfAnswering, deleteKeys } from './redis-probe.js'
import { runBreakdown } from './scenario.js'
import { runStampede } from './stampede.js'
import { timeline } from './stats.js'

const redis = connectRedis()
const prefixes: string[] = []
// The demo's charts go to a directory of this file's own, never into the checkout.
const chartsDir = mkdtempSync(join(tmpdir(), 'storm-charts-'))
afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(redis, `${prefix}*`)
  rmSync(chartsDir, { recursive: true, force: true })
})

/** A store factory for each backend; Redis keys get a prefix that is removed after the file. */
const stores: Array<[string, () => CacheStore]> = [
  ['memory', () => memoryStore()],
  ['redis', () => redisStore(redis, { prefix: track(uniquePrefix('storm')) })],
]

describe('storm demo | breakdown', () => {
  it.each(stores)('reports the queries the database really received (%s)', async (_, store) => {
    const dbs: FakeDb[] = []
    const db = () => dbs[dbs.push(fakeDb({ latencyMs: 5 })) - 1]!
    const [without, guarded] = await runBreakdown({ store, requests: 200, latencyMs: 5, db })

    // Plain cache-aside let (nearly) every request through; cacheguard let exactly one.
    expect(without.dbQueries).toBeGreaterThan(150)
    expect(guarded.dbQueries).toBe(1)
    expect(guarded.peakConcurrent).toBe(1)
    // The numbers reported are the ones the databases counted, run by run.
    expect(dbs).toHaveLength(2)
    expect([without.dbQueries, guarded.dbQueries]).toEqual(dbs.map((d) => d.queries))
    expect([without.peakConcurrent, guarded.peakConcurrent]).toEqual(
      dbs.map((d) => d.peakConcurrent),
    )
    for (const result of [without, guarded]) {
      expect(result).toMatchObject({ requests: 200, errors: 0 })
      expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms)
      // Every request waited for a 5 ms query; libuv timers count whole milliseconds from the
      // loop's cached clock, so by performance.now() one may fire up to ~1 ms early.
      expect(result.p50Ms).toBeGreaterThan(3)
    }
  })
})

describe('storm demo | penetration', () => {
  it.each(stores)('the database sees only the false positives (%s)', async (name, store) => {
    const filterOn = name === 'redis' ? { redis, prefix: track(uniquePrefix('storm-bloom')) } : {}
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
  })
})

describe('storm demo | avalanche', () => {
  it.each(stores)('spreads the expiry and caps the reloads (%s)', async (_, store) => {
    const [without, guarded] = await runAvalanche({
      store,
      keys: 1000,
      ttlMs: 300,
      rate: 2000,
      durationMs: 900,
      // 32 loads of 50 ms let at most ~64 queries into a 100 ms bucket; unprotected, the misses
      // after the common expiry follow the traffic (~200 per bucket), so the two stay far apart
      // even when a busy machine slows the traffic down.
      latencyMs: 50,
    })
    for (const result of [without, guarded]) {
      expect(result.errors).toBe(0)
      // 2,000 requests/s for 0.9 s, held to its rate even when batches run late.
      expect(result.requests).toBeGreaterThanOrEqual(1700)
      // The timeline counts the queries the database received during the traffic, no others.
      const inTimeline = result.timeline.reduce((sum, n) => sum + n, 0)
      expect(inTimeline).toBeLessThanOrEqual(result.dbQueries)
      expect(inTimeline).toBeGreaterThan(0)
    }
    // Without: nothing expires before 300 ms (less the time the 1,000 writes took).
    expect(without.timeline[0]).toBe(0)
    // Without: everything expires at once and misses pile up; with: never more than 32 loads,
    // so at most 32 x 100 / 50 = 64 queries start in a 100 ms bucket (96 leaves room for
    // buckets that see the end of one round of loads and the start of the next).
    expect(without.peakConcurrent).toBeGreaterThan(32)
    expect(guarded.peakConcurrent).toBeLessThanOrEqual(32)
    expect(Math.max(...guarded.timeline)).toBeLessThanOrEqual(96)
    expect(Math.max(...without.timeline)).toBeGreaterThan(96)
  })
})

describe('storm demo | outage', () => {
  it('sends every request to the database while Redis is cut off, and none with the memory tier', async () => {
    const prefix = track(uniquePrefix('storm-outage'))
    const [without, guarded] = await runOutage({
      url: redisUrl(),
      prefix,
      keys: 200,
      rate: 1000,
      durationMs: 1500,
      outage: [300, 1100],
      latencyMs: 5,
    })
    for (const result of [without, guarded]) {
      expect(result.errors).toBe(0)
      expect(result.requests).toBeGreaterThan(500)
    }
    // Every key was in Redis: the database's queries came from the outage (and the reconnect).
    expect(without.duringOutage).toBeGreaterThan(200)
    expect(without.duringOutage).toBeGreaterThan(without.dbQueries / 2)
    // The memory tier held every key, so the database never heard of the outage.
    expect(guarded.dbQueries).toBe(0)
    expect(guarded.timeline.every((n) => n === 0)).toBe(true)
  })

  it('refuses an outage outside the traffic', async () => {
    const run = runOutage({
      url: redisUrl(),
      prefix: 'unused:',
      durationMs: 1000,
      outage: [500, 2000],
    })
    await expect(run).rejects.toThrow(RangeError)
  })
})

describe('storm demo | timeline', () => {
  it('counts arrivals into 100 ms buckets over exactly the span, float noise aside', () => {
    // A start where (from + 5000) - from is 5000.000000000001.
    const from = 3192.2740000000003
    expect(
      timeline([from, from + 99.9, from + 100, from + 4999, from + 5000], from, from + 5000),
    ).toHaveLength(50)
    expect(timeline([from, from + 99.9, from + 100, from + 250], from, from + 300)).toEqual([
      2, 1, 1,
    ])
    expect(timeline([], 0, 0)).toEqual([0])
  })
})

describe('storm demo | chart', () => {
  it('draws one bar per non-empty 100 ms with the measured count, and shades the band', () => {
    const svg = timelineChart({
      title: 'a <title> & more',
      series: [
        { label: 'without', timeline: [0, 120, 7] },
        { label: 'with', timeline: [0, 1, 0] },
      ],
      band: { from: 100, to: 200, label: 'Redis unreachable' },
    })
    const bars = [...svg.matchAll(/data-bucket="(\d+)" data-queries="(\d+)"/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ])
    expect(bars).toEqual([
      [1, 120],
      [2, 7],
      [1, 1],
    ])
    expect(
      [...svg.matchAll(/data-total="(\d+)" data-peak="(\d+)"/g)].map((m) => [m[1], m[2]]),
    ).toEqual([
      ['127', '120'],
      ['1', '1'],
    ])
    expect(svg).toContain('a &lt;title&gt; &amp; more')
    expect(svg).toContain('class="band"')
    expect(svg).toContain('with: 1 query, peak 1 per 100 ms')
  })
})

describe('storm demo | CLI', () => {
  it('prints the table from a real run on Redis and removes its keys', async () => {
    const args = ['--scenario', 'breakdown,penetration', '--requests', '100', '--unknown', '500']
    const { stdout } = await demo(args, { REDIS_URL: redisUrl() })
    const lines = stdout.split('\n')
    expect(lines[0]).toMatch(/^Store: Redis at /)
    const breakdown = lines.filter((line) => line.startsWith('breakdown '))
    // scenario, run, db queries, ...: without cacheguard 100 queries, with it 1.
    expect(breakdown.map((line) => line.split(/\s{2,}/)[2])).toEqual(['100', '1'])
    expect(stdout).toMatch(/breakdown: 100 database queries became 1;/)
    const penetration = lines.filter((line) => line.startsWith('penetration '))
    expect(penetration.map((line) => line.split(/\s{2,}/)[2])[0]).toBe('500')
    // Each chart draws the queries of the table's runs: its totals are the table's numbers.
    for (const [scenario, rows] of [
      ['breakdown', breakdown],
      ['penetration', penetration],
    ] as const) {
      const svg = readFileSync(join(chartsDir, `storm-${scenario}.svg`), 'utf8')
      const totals = [...svg.matchAll(/data-total="(\d+)"/g)].map((match) => match[1])
      expect(totals).toEqual(rows.map((line) => line.split(/\s{2,}/)[2]))
    }
    expect(stdout).toContain('Charts (SVG, open in a browser): ')
    const prefix = lines[0]!.match(/keys under (\S+),/)?.[1]
    expect(prefix).toMatch(/^storm:/)
    expect(await keysMatching(`${prefix}*`)).toEqual([])
  }, 90_000)

  it('falls back to the memory store when REDIS_URL does not answer, and says so first', async () => {
    const args = ['--scenario', 'breakdown', '--requests', '50', '--latency', '5']
    const { stdout } = await demo(args, { REDIS_URL: 'redis://127.0.0.1:1' })
    expect(stdout.split('\n')[0]).toBe(
      'Store: memory (REDIS_URL=redis://127.0.0.1:1 does not answer: falling back to the memory store)',
    )
    expect(stdout).toMatch(/breakdown: 50 database queries became 1;/)
  })

  it('uses the memory store on --store memory', async () => {
    const args = ['--store', 'memory', '--scenario', 'breakdown', '--requests', '50']
    const { stdout } = await demo([...args, '--latency', '5'], {
      REDIS_URL: redisUrl(),
    })
    expect(stdout.split('\n')[0]).toBe('Store: memory (--store memory)')
  })
})

describe('storm demo | stampede', () => {
  it('prints 1,000 queries from 4 processes unprotected, 4 with single-flight and 1 with the lock', async () => {
    // 300 ms queries: every process misses well before the first one has written the value,
    // even when a busy machine starts one of them late.
    const args = ['--scenario', 'stampede', '--latency', '300']
    const { stdout } = await demo(args, { REDIS_URL: redisUrl() })
    const rows = stdout
      .split('\n')
      .filter((line) => line.startsWith('stampede '))
      .map((line) => line.split(/\s{2,}/))
    // scenario, run, db queries, peak concurrent, p50, p99, errors.
    expect(rows.map((row) => [row[1], row[2], row[3], row[6]])).toEqual([
      ['without cacheguard', '1000', '1000', '0'],
      ['single-flight only', '4', '4', '0'],
      ['single-flight + lockGuard', '1', '1', '0'],
    ])
    // Every caller waited at least the one query.
    // Every caller waited for a query: its own or, with the lock, the holder's (callers in a
    // process that started a little late measure a little less, so the p99 is asserted).
    for (const row of rows) expect(Number(row[5])).toBeGreaterThanOrEqual(299)
    expect(stdout).toMatch(
      /stampede: 1000 database queries became 4 with single-flight \(one per process\) and 1 with lockGuard, .*locks taken: 1, processes served by another's load: 3\)/,
    )
    const prefix = stdout.match(/keys under (\S+),/)?.[1]
    expect(await keysMatching(`${prefix}*`)).toEqual([])
  }, 90_000)

  it('is skipped with the outage, saying why, on --store memory', async () => {
    const args = ['--store', 'memory', '--scenario', 'stampede,outage']
    const { stdout } = await demo(args, { REDIS_URL: redisUrl() })
    expect(stdout.trim().split('\n')).toEqual([
      'Store: memory (--store memory)',
      'stampede: skipped: its processes must share a Redis (--store memory)',
      'outage: skipped: it cuts the connection to a real Redis (--store memory)',
    ])
  })

  it('fails with the reason when a process dies', async () => {
    const child = fileURLToPath(new URL('./no-such-child.ts', import.meta.url))
    const run = runStampede({ redis, url: redisUrl(), prefix: 'unused:', processes: 2, child })
    await expect(run).rejects.toThrow(
      /^stampede process \d exited \(code 1\): Error .*no-such-child/,
    )
  })

  it('gives up on processes that do not answer in time and leaves none behind', async () => {
    const fleet = forkFleet(fileURLToPath(new URL('./stampede-child.ts', import.meta.url)), 2, 'p')
    await expect(fleet.ask({ type: 'setup', url: redisUrl() }, 1)).rejects.toThrow(
      'did not answer within 1 ms',
    )
    await fleet.close(100)
    expect(fleet.pids.filter(isAlive)).toEqual([])
  })
})

describe('storm demo | Redis probe', () => {
  it('gives up within its timeout on a server that accepts but never answers', async () => {
    const sockets: Socket[] = []
    const server = createServer((socket) => void sockets.push(socket)).listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const { port } = server.address() as { port: number }
    try {
      const started = performance.now()
      expect(await connectIfAnswering(`redis://127.0.0.1:${port}`, 200)).toBeUndefined()
      expect(performance.now() - started).toBeLessThan(1000)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('resolves a client that answers', async () => {
    const client = await connectIfAnswering(redisUrl())
    expect(await client?.ping()).toBe('PONG')
    await client?.quit()
  })
})

describe('examples', () => {
  it('runs the README example against the real Redis and leaves no key behind', async () => {
    const run = runTs('wrap-ioredis.ts', [], { REDIS_URL: redisUrl() })
    const { stdout } = await run
    expect(stdout).toContain(
      "{ id: 42, name: 'user 42' } { id: 42, name: 'user 42' } calls: 101, database queries: 1",
    )
    for (const counter of ['hits: 1', 'misses: 100', 'loads: 1', 'coalesced: 99', 'errors: 0']) {
      expect(stdout).toContain(counter)
    }
    expect(await keysMatching(`example:${run.child.pid}:*`)).toEqual([])
  })

  it('runs the @cacheguard/bloom README example', async () => {
    const { stdout } = await runTs('bloom-guard.ts', [], {})
    expect(stdout.trim().split('\n')).toEqual(["{ id: '7' }", 'undefined', '1'])
  })

  it('runs the @cacheguard/keyv README example against the real Redis', async () => {
    const namespace = track(uniquePrefix('keyv-example')).slice(0, -1)
    const env = { REDIS_URL: redisUrl(), KEYV_NAMESPACE: namespace }
    const { stdout } = await runTs('keyv-store.ts', [], env)
    expect(stdout.trim()).toBe("{ id: 1, name: 'Ada' }")
    expect(await keysMatching(`${namespace}:*`)).toHaveLength(1)
  })
})

/** Remembers a Redis key prefix for the cleanup after the file. */
function track(prefix: string): string {
  prefixes.push(prefix)
  return prefix
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Every key matching `pattern`, by a full SCAN. */
async function keysMatching(pattern: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    found.push(...keys)
    cursor = next
  } while (cursor !== '0')
  return found
}

/** Runs the storm demo's CLI with `args`, its charts written to this file's directory. */
function demo(args: string[], env: Record<string, string>) {
  return runTs('storm/main.ts', ['--out', chartsDir, ...args], env)
}

/**
 * Runs an example (a path under examples/) as a real child process, the way a user would: node
 * with tsx and the source condition. Rejects when it exits with anything but 0.
 */
function runTs(file: string, args: string[], env: Record<string, string>) {
  const examples = fileURLToPath(new URL('..', import.meta.url))
  return promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--conditions=cacheguard-source', file, ...args],
    { cwd: examples, env: { ...process.env, ...env }, timeout: 60_000 },
  )
}
