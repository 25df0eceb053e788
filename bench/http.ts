// HTTP response caching throughput: autocannon against one Express 5 server (a child process, so
// the load generator has the other core), on routes that all send the same 2 KB JSON body: a
// plain route with no cache (the baseline), the same answered after setImmediate (a handler that
// awaits I/O: the event loop then batches its work, which alone raises throughput), the route
// behind expressCache over Redis and over memory, and behind apicache (memory, as its README
// sets it up): every cached request is a hit. Besides, the route answering `no-cache` behind
// expressCache over Redis: every request is revalidated, a conditional run that Express answers
// 304, then the stored body.
// Contenders alternate within each round, starting order rotated; medians, as ratios to the plain
// route and to apicache. BENCH_SECONDS, BENCH_ROUNDS and BENCH_CONNECTIONS change the run.
import { connectBenchRedis, deleteKeys } from './lib/connect.js'
import { alternate, routeFigures, startBenchServer } from './lib/http-load.js'
import type { FromChild, Route, ToChild } from './lib/http-server.js'
import { receive } from './lib/receive.js'
import { printRows, writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32)
const target = 0.8
const prefix = `bench:http:${process.pid}:`

const contenders: Array<{ route: Route; name: string }> = [
  { route: 'plain', name: 'plain route, no cache' },
  { route: 'plain-deferred', name: 'plain route, answered after setImmediate' },
  { route: 'cacheguard-redis', name: 'expressCache, redisStore' },
  { route: 'cacheguard-memory', name: 'expressCache, memoryStore' },
  {
    route: 'cacheguard-revalidated',
    name: 'expressCache, redisStore, no-cache: revalidated (304)',
  },
  { route: 'apicache', name: 'apicache 1.6 (memory)' },
]

const { redis, url: redisUrl } = await connectBenchRedis('the HTTP benchmark')
const bench = await startBenchServer('./http-server.ts', [redisUrl, prefix], connections)
const { base, child: server } = bench
// Fill each cache, and check that what the cached routes send is the plain route's body.
const plainBody = await (await fetch(`${base}/plain`)).text()
for (const { route } of contenders.filter((c) => !c.route.startsWith('plain'))) {
  await fetch(`${base}/${route}`)
  const hit = await fetch(`${base}/${route}`)
  if ((await hit.text()) !== plainBody) throw new Error(`${route} sent another body`)
}
const cachedHeader = (await fetch(`${base}/cacheguard-redis`)).headers.get('x-cache')
if (cachedHeader !== 'HIT') throw new Error(`expressCache answered ${cachedHeader}, not HIT`)

console.log(
  `HTTP cache throughput: Express 5, ${Buffer.byteLength(plainBody)} B JSON body, autocannon ${connections} connections, ${rounds} rounds of ${seconds} s per contender, medians\n`,
)
const runs = await alternate(
  bench,
  contenders.map((c) => c.route),
  rounds,
  seconds,
)

server.send({ runs: true } satisfies ToChild)
const { runs: handlerRuns, conditionalRuns } = await receive(server, (m: FromChild) =>
  'runs' in m ? m : undefined,
)
server.send({ exit: true } satisfies ToChild)

const apicache = contenders.findIndex((c) => c.route === 'apicache')
const results = contenders.map(({ route, name }, i) => {
  const figures = routeFigures(runs, i, 0)
  return {
    name,
    route,
    ...figures,
    ratioToApicache: figures.requestsPerSecond / routeFigures(runs, apicache, 0).requestsPerSecond,
    handlerRuns: handlerRuns[route],
  }
})

const rows = [
  [
    'contender',
    'req/s',
    '/ plain',
    'per round',
    '/ apicache',
    'server CPU µs/req',
    'p50 ms',
    'p99 ms',
  ],
]
for (const r of results) {
  rows.push([
    r.name,
    Math.round(r.requestsPerSecond).toLocaleString('en-US'),
    r.ratioToPlain.toFixed(2),
    `${r.roundRatiosToPlain[0].toFixed(2)}–${r.roundRatiosToPlain[1].toFixed(2)}`,
    r.ratioToApicache.toFixed(2),
    r.serverCpuMicrosPerRequest.toFixed(0),
    String(r.latencyP50Ms),
    String(r.latencyP99Ms),
  ])
}
printRows(rows)

const revalidated = results.find((r) => r.route === 'cacheguard-revalidated')!
const cached = results.filter((r) => r.route.startsWith('cacheguard') && r !== revalidated)
const targetMet = cached.every((r) => r.ratioToPlain >= target)
// Every cached route ran its handler once, when it was filled: all the load was hits. The
// revalidated route ran it for every request, all but the first conditional.
const cachedRoutes = results.filter((r) => !r.route.startsWith('plain') && r !== revalidated)
const revalidatedOk = conditionalRuns === revalidated.handlerRuns - 1
const checksOk = cachedRoutes.every((r) => r.handlerRuns === 1) && revalidatedOk
console.log(`
per round: the lowest and highest ratio to the plain route's run in the same round;
server CPU µs/req: CPU time of the server process per request (the load generator's is not counted).
Handler runs on the cached routes (1 = every measured request was a hit): ${cachedRoutes
  .map((r) => `${r.route} ${r.handlerRuns}`)
  .join(', ')}${cachedRoutes.every((r) => r.handlerRuns === 1) ? '' : ' — FAILED'}
Revalidated route: ${revalidated.handlerRuns} handler runs, ${conditionalRuns} of them conditional${revalidatedOk ? '' : ' — FAILED'}; ${revalidated.ratioToPlain.toFixed(2)} x the plain route
Target (cached route at least ${target} x the plain route): ${targetMet ? 'met' : 'NOT met'} (${cached
  .map((r) => `${r.name} ${r.ratioToPlain.toFixed(2)}`)
  .join(', ')})`)

const info = await runInfo(redis)
const file = await writeResults('http', {
  ...info,
  rounds,
  seconds,
  connections,
  bodyBytes: Buffer.byteLength(plainBody),
  target,
  targetMet,
  checksOk,
  conditionalRuns,
  results,
})
console.log(`Node ${info.node}, Redis ${info.redis}, ${info.cpus} CPUs; written to ${file}`)
await deleteKeys(redis, `${prefix}*`)
await redis.quit()
// The server may hold timers of its own (apicache's expiry): it is stopped, not waited for.
server.kill()
if (!checksOk) process.exitCode = 1
