// Issue 16's cold list page: 50 concurrent requests, each for 100 ids drawn (seeded, so every
// strategy sees the same pages) from a pool of 1,000, over Redis on a cold cache, against a fake
// database whose every call takes 20 ms however many ids it asks. Strategies: getOrSetMany per
// request; getOrSet per key with a per-key loader; getOrSet per key with batchLoader; a new
// DataLoader per request (what a GraphQL server does); no cache (one `WHERE id IN` per request);
// then getOrSetMany again on the warm cache. Measured per strategy: database calls and rows, p50
// and p99 request latency, wall time, Redis commands per request; medians of BENCH_ROUNDS rounds,
// each on fresh keys. Ends with target | measured | met?. BENCH_ROUNDS (default 5),
// BENCH_REQUESTS, BENCH_PAGE_SIZE, BENCH_POOL, BENCH_DB_MS and BENCH_SEED change the run.
import { type BatchResult, batchLoader, type Cache, createCache } from '@cacheguard/core'
import { redisStore } from '@cacheguard/redis'
import DataLoader from 'dataloader'
import { seededRandom } from '../test/helpers/seeded-random.js'
import { commandsBetween, countCommands, formatCommands } from './lib/command-counts.js'
import { connectBenchRedis, deleteKeys } from './lib/connect.js'
import { median, percentile } from './lib/measure.js'
import { printRows, writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'

const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const requests = Number(process.env.BENCH_REQUESTS ?? 50)
const pageSize = Number(process.env.BENCH_PAGE_SIZE ?? 100)
const poolSize = Number(process.env.BENCH_POOL ?? 1000)
const dbMs = Number(process.env.BENCH_DB_MS ?? 20)
const seed = Number(process.env.BENCH_SEED ?? 16)
// Per process, so that two runs against one server never read each other's keys.
const prefix = `bench:list-page:${process.pid}:`

const random = seededRandom(seed)
/** `size` distinct ids of the pool, in random order (a partial Fisher-Yates shuffle). */
function drawPage(size: number): number[] {
  const pool = Array.from({ length: poolSize }, (_, id) => id)
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (poolSize - i))
    ;[pool[i], pool[j]] = [pool[j]!, pool[i]!]
  }
  return pool.slice(0, size)
}
const pages = Array.from({ length: requests }, () => drawPage(pageSize))
const distinctIds = new Set(pages.flat()).size

interface Row {
  id: number
  name: string
  price: number
  tags: string[]
}
const rowOf = (id: number): Row => ({ id, name: `item ${id}`, price: id * 1.5, tags: ['a', 'b'] })
const keyOf = (id: number) => `item:${id}`
const idOf = (key: string) => Number(key.slice('item:'.length))
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A fake database: every call takes `dbMs`, however many ids it asks; counts calls and rows. */
function fakeDatabase() {
  const counts = { calls: 0, rows: 0 }
  return {
    counts,
    async findByIds(ids: readonly number[]): Promise<Row[]> {
      counts.calls++
      counts.rows += ids.length
      await pause(dbMs)
      return ids.map(rowOf)
    },
  }
}
type Database = ReturnType<typeof fakeDatabase>

/** `loadMany` over the database: the rows of `keys`, by key. */
const rowsByKey =
  (db: Database) =>
  async (keys: string[]): Promise<BatchResult<Row>> =>
    new Map((await db.findByIds(keys.map(idOf))).map((row) => [keyOf(row.id), row]))

/** One request of a strategy: the rows of `ids`, in their order. */
type Request = (ids: number[]) => Promise<Array<Row | undefined>>

interface Strategy {
  id: string
  name: string
  /** Whether it reads through a cache (a fresh one, on fresh keys, each round). */
  cached: boolean
  /** The request handler of one pass; `cache` is present when `cached`. */
  setup(db: Database, cache: Cache | undefined): Request
}

const MANY = 'many'
const strategies: Strategy[] = [
  {
    id: MANY,
    name: '(a) getOrSetMany per request',
    cached: true,
    // One loadMany for the app, as a handler module defines it: the requests of one tick share
    // its queries.
    setup: (db, cache) => {
      const loadMany = rowsByKey(db)
      return (ids) => cache!.getOrSetMany(ids.map(keyOf), loadMany)
    },
  },
  {
    id: 'per-key',
    name: '(b) getOrSet per key, per-key loader',
    cached: true,
    setup: (db, cache) => (ids) =>
      Promise.all(
        ids.map((id) => cache!.getOrSet(keyOf(id), async () => (await db.findByIds([id]))[0])),
      ),
  },
  {
    id: 'batch-loader',
    name: '(c) getOrSet per key, batchLoader',
    cached: true,
    setup: (db, cache) => {
      // Shared by every request, as a module-level batchLoader would be.
      const items = batchLoader(rowsByKey(db), { maxBatch: 100 })
      return (ids) => Promise.all(ids.map((id) => cache!.getOrSet(keyOf(id), items(keyOf(id)))))
    },
  },
  {
    id: 'dataloader',
    name: '(d) DataLoader per request, no cache',
    cached: false,
    setup: (db) => (ids) => {
      const loader = new DataLoader<number, Row | undefined>(async (batch) => {
        const rows = new Map((await db.findByIds(batch)).map((row) => [row.id, row]))
        return batch.map((id) => rows.get(id))
      })
      return Promise.all(ids.map((id) => loader.load(id)))
    },
  },
  {
    id: 'no-cache',
    name: '(e) no cache, one WHERE id IN per request',
    cached: false,
    setup: (db) => (ids) => db.findByIds(ids),
  },
]
const WARM = '(a) getOrSetMany, warm second pass'

const { redis } = await connectBenchRedis('the list-page benchmark')
const counter = countCommands(redis)

/** One pass: every page requested at once; latencies per request, database and Redis counts. */
async function pass(name: string, request: Request, db: Database) {
  const before = counter.snapshot()
  const latencies: number[] = []
  const started = performance.now()
  const answers = await Promise.all(
    pages.map(async (ids) => {
      const begun = performance.now()
      const rows = await request(ids)
      latencies.push(performance.now() - begun)
      return rows
    }),
  )
  const wallMs = performance.now() - started
  for (const [i, rows] of answers.entries()) {
    if (!pages[i]!.every((id, j) => rows[j]?.id === id)) {
      throw new Error(`${name} answered page ${i} wrong: ${JSON.stringify(rows).slice(0, 200)}`)
    }
  }
  // Writes a cache makes after answering still count as the pass's commands.
  await pause(50)
  const commands = commandsBetween(before, counter.snapshot(), pages.length)
  latencies.sort((a, b) => a - b)
  return {
    dbCalls: db.counts.calls,
    rows: db.counts.rows,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    wallMs,
    commands,
  }
}
type Pass = Awaited<ReturnType<typeof pass>>

const names = [...strategies.map((s) => s.name), WARM]
const runs = new Map(names.map((name) => [name, [] as Pass[]]))
const caches: Cache[] = []
console.log(
  `cold list page: ${requests} concurrent requests x ${pageSize} ids of ${poolSize} (${distinctIds} distinct, seed ${seed}), database ${dbMs} ms per call, ${rounds} rounds, medians\n`,
)
try {
  for (let round = -1; round < rounds; round++) {
    // Round -1 is unmeasured: connections, Lua scripts and code paths warm.
    for (let turn = 0; turn < strategies.length; turn++) {
      const strategy = strategies[(Math.max(round, 0) + turn) % strategies.length]!
      const cache = strategy.cached
        ? createCache({
            store: redisStore(redis, { prefix: `${prefix}r${round}:${strategy.id}:` }),
            ttl: '10m',
            jitter: 0,
          })
        : undefined
      if (cache) caches.push(cache)
      const db = fakeDatabase()
      await pause(50)
      const cold = await pass(strategy.name, strategy.setup(db, cache), db)
      if (round >= 0) runs.get(strategy.name)!.push(cold)
      if (strategy.id === MANY) {
        const warmDb = fakeDatabase()
        const warm = await pass(WARM, strategy.setup(warmDb, cache), warmDb)
        if (round >= 0) runs.get(WARM)!.push(warm)
      }
    }
  }

  const results = names.map((name) => {
    const own = runs.get(name)!
    const pick = (field: 'dbCalls' | 'rows' | 'p50Ms' | 'p99Ms' | 'wallMs') =>
      median(own.map((r) => r[field]))
    const sent = new Set(own.flatMap((r) => Object.keys(r.commands)))
    const commands = Object.fromEntries(
      [...sent]
        .map((command) => [command, median(own.map((r) => r.commands[command] ?? 0))] as const)
        .sort((x, y) => y[1] - x[1]),
    )
    return {
      name,
      dbCalls: pick('dbCalls'),
      dbCallsPerRound: own.map((r) => r.dbCalls),
      rows: pick('rows'),
      rowsPerRound: own.map((r) => r.rows),
      p50Ms: pick('p50Ms'),
      p99Ms: pick('p99Ms'),
      wallMs: pick('wallMs'),
      /** Redis commands this process sent per request, by name: medians over rounds. */
      commands,
      mgetPerRequest: commands.mget ?? 0,
      commandsPerRequest: Object.values(commands).reduce((sum, n) => sum + n, 0),
      rounds: own,
    }
  })
  const span = (values: number[]) => `${Math.min(...values)}–${Math.max(...values)}`
  printRows([
    [
      'strategy',
      'db calls',
      'per round',
      'rows',
      'per round',
      'p50 ms',
      'p99 ms',
      'wall ms',
      'mget/req',
      'cmds/req',
    ],
    ...results.map((r) => [
      r.name,
      String(r.dbCalls),
      span(r.dbCallsPerRound),
      String(r.rows),
      span(r.rowsPerRound),
      r.p50Ms.toFixed(1),
      r.p99Ms.toFixed(1),
      r.wallMs.toFixed(1),
      r.mgetPerRequest.toFixed(2),
      r.commandsPerRequest.toFixed(2),
    ]),
  ])
  console.log('\nRedis commands per request, by name (medians over rounds)')
  for (const r of results.filter((r) => r.commandsPerRequest > 0)) {
    console.log(`  ${r.name.padEnd(40)} ${formatCommands(r.commands)}`)
  }
  console.log(`
p99: nearest rank of ${requests} latencies (${Math.ceil(0.99 * requests) === requests ? 'the slowest request' : `rank ${Math.ceil(0.99 * requests)}`});
db calls and rows: medians, per round: lowest–highest; mget/req and cmds/req: the Redis commands
this process sent during the pass (writes after the answers included) over the requests.`)

  const many = results.find((r) => r.name === strategies[0]!.name)!
  const warm = results.find((r) => r.name === WARM)!
  const others = results.filter((r) => r !== many && r !== warm)
  const targets = [
    {
      target: `getOrSetMany rows loaded == distinct ids asked (${distinctIds}), every round`,
      measured: span(many.rowsPerRound),
      met: many.rowsPerRound.every((rows) => rows === distinctIds),
    },
    {
      target: 'getOrSetMany warm pass: 0 db calls, every round',
      measured: span(warm.dbCallsPerRound),
      met: warm.dbCallsPerRound.every((calls) => calls === 0),
    },
    ...others.map((r) => {
      const ratio = many.dbCalls / r.dbCalls
      return {
        target: `db calls: getOrSetMany <= ${r.name}`,
        measured: `${ratio.toFixed(2)}x (${many.dbCalls} / ${r.dbCalls})`,
        met: ratio <= 1,
      }
    }),
    ...others.map((r) => {
      const ratio = many.rows / r.rows
      return {
        target: `rows: getOrSetMany <= ${r.name}`,
        measured: `${ratio.toFixed(2)}x (${many.rows} / ${r.rows})`,
        met: ratio <= 1,
      }
    }),
  ]
  console.log('\nIssue 16 targets (medians of the same run)')
  printRows([
    ['target', 'measured', 'met?'],
    ...targets.map((t) => [t.target, t.measured, t.met ? 'yes' : 'NO']),
  ])
  const info = await runInfo(redis)
  const file = await writeResults('list-page', {
    ...info,
    rounds,
    requests,
    pageSize,
    poolSize,
    distinctIds,
    dbMs,
    seed,
    results,
    targets,
  })
  console.log(`\nNode ${info.node}, Redis ${info.redis}, ${info.cpus} CPUs; written to ${file}`)
} finally {
  await deleteKeys(redis, `${prefix}*`, `{${prefix}*`)
  await Promise.allSettled(caches.map((cache) => cache.close()))
  await redis.quit()
}
