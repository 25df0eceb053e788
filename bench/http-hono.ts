// Issue 17's Hono target: autocannon (64 connections) against one Hono 4 server on
// @hono/node-server (a child process, so the load generator has the other core), on routes that
// all send the same 2 KB JSON body: a plain route with no cache (the baseline), the same behind
// honoCache over Redis and over memory (every request a hit), and, with a handler that takes
// 20 ms, the plain route against the one behind honoCache over Redis.
// Contenders alternate within each round, starting order rotated; medians, as ratios to the plain
// route of the same handler. BENCH_SECONDS, BENCH_ROUNDS and BENCH_CONNECTIONS change the run.
import { connectBenchRedis, deleteKeys } from './lib/connect.js'
import type { HonoFromChild, HonoRoute, HonoToChild } from './lib/hono-server.js'
import { alternate, startBenchServer } from './lib/http-load.js'
import { median } from './lib/measure.js'
import { receive } from './lib/receive.js'
import { printRows, writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64)
const target = 0.8
const prefix = `bench:hono:${process.pid}:`

/** Each contender, and the plain route its ratio is taken to. */
const contenders: Array<{ route: HonoRoute; name: string; baseline: HonoRoute }> = [
  { route: 'plain', name: 'plain route, no cache', baseline: 'plain' },
  { route: 'cached-redis', name: 'honoCache, redisStore', baseline: 'plain' },
  { route: 'cached-memory', name: 'honoCache, memoryStore', baseline: 'plain' },
  { route: 'plain-20ms', name: '20 ms handler, no cache', baseline: 'plain-20ms' },
  {
    route: 'cached-redis-20ms',
    name: '20 ms handler, honoCache, redisStore',
    baseline: 'plain-20ms',
  },
]

const { redis, url: redisUrl } = await connectBenchRedis('the Hono benchmark')
const bench = await startBenchServer('./hono-server.ts', [redisUrl, prefix], connections)
const { base, child: server } = bench
// Fill each cache, and check that what the cached routes send is the plain route's body.
const plainBody = await (await fetch(`${base}/plain`)).text()
for (const { route } of contenders.filter((c) => c.route.startsWith('cached'))) {
  await fetch(`${base}/${route}`)
  const hit = await fetch(`${base}/${route}`)
  const hitBody = await hit.text()
  if (hitBody !== plainBody)
    throw new Error(`${route} sent another body: ${hit.status} ${hitBody.slice(0, 200)}`)
  if (hit.headers.get('x-cache') !== 'HIT') throw new Error(`${route} answered no HIT`)
}

console.log(
  `HTTP cache throughput: Hono 4 on @hono/node-server, ${Buffer.byteLength(plainBody)} B JSON body, autocannon ${connections} connections, ${rounds} rounds of ${seconds} s per contender, medians\n`,
)
const runs = await alternate(
  bench,
  contenders.map((c) => c.route),
  rounds,
  seconds,
)
server.send({ runs: true } satisfies HonoToChild)
const handlerRuns = await receive(server, (m: HonoFromChild) => ('runs' in m ? m.runs : undefined))
server.send({ exit: true } satisfies HonoToChild)

const rates = runs.map((list) => list.map((run) => run.requestsPerSecond))
const indexOf = (route: HonoRoute) => contenders.findIndex((c) => c.route === route)
const results = contenders.map(({ route, name, baseline }, i) => {
  const b = indexOf(baseline)
  const paired = rates[i]!.map((rate, round) => rate / rates[b]![round]!)
  const requestsPerSecond = median(rates[i]!)
  return {
    name,
    route,
    requestsPerSecond,
    ratioToPlain: requestsPerSecond / median(rates[b]!),
    roundRatiosToPlain: [Math.min(...paired), Math.max(...paired)] as [number, number],
    serverCpuMicrosPerRequest: median(runs[i]!.map((run) => run.serverCpuMicrosPerRequest)),
    latencyP50Ms: median(runs[i]!.map((run) => run.p50)),
    latencyP99Ms: median(runs[i]!.map((run) => run.p99)),
    handlerRuns: handlerRuns[route],
  }
})
const rows = [
  ['contender', 'req/s', '/ plain', 'per round', 'server CPU µs/req', 'p50 ms', 'p99 ms'],
]
for (const r of results) {
  rows.push([
    r.name,
    Math.round(r.requestsPerSecond).toLocaleString('en-US'),
    r.ratioToPlain.toFixed(2),
    `${r.roundRatiosToPlain[0].toFixed(2)}–${r.roundRatiosToPlain[1].toFixed(2)}`,
    r.serverCpuMicrosPerRequest.toFixed(0),
    String(r.latencyP50Ms),
    String(r.latencyP99Ms),
  ])
}
printRows(rows)

const trivial = results.filter((r) => r.route === 'cached-redis' || r.route === 'cached-memory')
const slow = results.find((r) => r.route === 'cached-redis-20ms')!
const targetMet = trivial.every((r) => r.ratioToPlain >= target)
const cachedRuns = results.filter((r) => r.route.startsWith('cached'))
const checksOk = cachedRuns.every((r) => r.handlerRuns === 1)
console.log(`
/ plain: to the plain route with the same handler (trivial, or 20 ms); per round: lowest and highest.
Handler runs on the cached routes (1 = every measured request was a hit): ${cachedRuns
  .map((r) => `${r.route} ${r.handlerRuns}`)
  .join(', ')}${checksOk ? '' : ' — FAILED'}
Target (cached trivial route at least ${target} x the plain route): ${targetMet ? 'met' : 'NOT met'} (${trivial
  .map((r) => `${r.name} ${r.ratioToPlain.toFixed(2)}`)
  .join(', ')}); 20 ms handler: ${slow.ratioToPlain.toFixed(1)} x the plain route`)

const info = await runInfo(redis)
const file = await writeResults('http-hono', {
  ...info,
  rounds,
  seconds,
  connections,
  target,
  targetMet,
  checksOk,
  results,
})
console.log(`Node ${info.node}, Redis ${info.redis}, ${info.cpus} CPUs; written to ${file}`)
await deleteKeys(redis, `${prefix}*`)
await redis.quit()
// The server may hold timers of its own (apicache's expiry): it is stopped, not waited for.
server.kill()
if (!checksOk) process.exitCode = 1
