// Issue 17's Hono and Fastify targets, in one run: for each framework, autocannon (64
// connections) against one server (a child process, so the load generator has the other core):
// Hono 4 on @hono/node-server, then Fastify 5. Its routes all send the same 2 KB JSON body: a
// plain route with no cache (the baseline), the same behind the framework's cacheguard adapter
// over Redis and over memory (every request a hit), and, with a handler that takes 20 ms, the
// plain route against the one cached over Redis.
// Contenders alternate within each round, starting order rotated; medians, as ratios to the plain
// route of the same framework and handler. BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS and
// BENCH_FRAMEWORKS (a comma-separated list) change the run.
import { connectBenchRedis, deleteKeys } from './lib/connect.js'
import {
  FRAMEWORKS,
  type Framework,
  type FromChild,
  type Route,
  type ToChild,
} from './lib/framework-server.js'
import { alternate, routeFigures, startBenchServer } from './lib/http-load.js'
import { receive } from './lib/receive.js'
import { printRows, writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64)
const frameworks = (process.env.BENCH_FRAMEWORKS?.split(',') ?? [...FRAMEWORKS]) as Framework[]
const target = 0.8
const prefix = `bench:frameworks:${process.pid}:`
const LABEL: Record<Framework, { server: string; adapter: string }> = {
  hono: { server: 'Hono 4 on @hono/node-server', adapter: 'honoCache' },
  fastify: { server: 'Fastify 5', adapter: 'fastifyCache' },
}

/** Each contender, and the plain route its ratio is taken to. */
const contenders = (adapter: string): Array<{ route: Route; name: string; baseline: Route }> => [
  { route: 'plain', name: 'plain route, no cache', baseline: 'plain' },
  { route: 'cached-redis', name: `${adapter}, redisStore`, baseline: 'plain' },
  { route: 'cached-memory', name: `${adapter}, memoryStore`, baseline: 'plain' },
  { route: 'plain-20ms', name: '20 ms handler, no cache', baseline: 'plain-20ms' },
  {
    route: 'cached-redis-20ms',
    name: `20 ms handler, ${adapter}, redisStore`,
    baseline: 'plain-20ms',
  },
]

const { redis, url: redisUrl } = await connectBenchRedis('the framework benchmark')
const measured = []
for (const framework of frameworks) measured.push(await measure(framework))
const targetMet = measured.every((m) => m.targetMet)
const checksOk = measured.every((m) => m.checksOk)

const info = await runInfo(redis)
const file = await writeResults('http-frameworks', {
  ...info,
  rounds,
  seconds,
  connections,
  target,
  targetMet,
  checksOk,
  frameworks: measured,
})
console.log(`Node ${info.node}, Redis ${info.redis}, ${info.cpus} CPUs; written to ${file}`)
await deleteKeys(redis, `${prefix}*`)
await redis.quit()
if (!checksOk) process.exitCode = 1

/** Runs every contender against `framework`'s server, prints and returns what it measured. */
async function measure(framework: Framework) {
  const { server: serverName, adapter } = LABEL[framework]
  const list = contenders(adapter)
  const bench = await startBenchServer(
    './framework-server.ts',
    [framework, redisUrl, `${prefix}${framework}:`],
    connections,
  )
  const { base, child: server } = bench
  // Fill each cache, and check that what the cached routes send is the plain route's body.
  const plainBody = await (await fetch(`${base}/plain`)).text()
  for (const { route } of list.filter((c) => c.route.startsWith('cached'))) {
    await fetch(`${base}/${route}`)
    const hit = await fetch(`${base}/${route}`)
    const hitBody = await hit.text()
    if (hitBody !== plainBody)
      throw new Error(
        `${framework} ${route} sent another body: ${hit.status} ${hitBody.slice(0, 200)}`,
      )
    if (hit.headers.get('x-cache') !== 'HIT')
      throw new Error(`${framework} ${route} answered no HIT`)
  }

  console.log(
    `\nHTTP cache throughput: ${serverName}, ${Buffer.byteLength(plainBody)} B JSON body, autocannon ${connections} connections, ${rounds} rounds of ${seconds} s per contender, medians\n`,
  )
  const runs = await alternate(
    bench,
    list.map((c) => c.route),
    rounds,
    seconds,
  )
  server.send({ runs: true } satisfies ToChild)
  const handlerRuns = await receive(server, (m: FromChild) => ('runs' in m ? m.runs : undefined))
  server.send({ exit: true } satisfies ToChild)

  const indexOf = (route: Route) => list.findIndex((c) => c.route === route)
  const results = list.map(({ route, name, baseline }, i) => ({
    name,
    route,
    ...routeFigures(runs, i, indexOf(baseline)),
    handlerRuns: handlerRuns[route],
  }))
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
  const met = trivial.every((r) => r.ratioToPlain >= target)
  const cachedRuns = results.filter((r) => r.route.startsWith('cached'))
  const ok = cachedRuns.every((r) => r.handlerRuns === 1)
  console.log(`
/ plain: to the plain route with the same handler (trivial, or 20 ms); per round: lowest and highest.
Handler runs on the cached routes (1 = every measured request was a hit): ${cachedRuns
    .map((r) => `${r.route} ${r.handlerRuns}`)
    .join(', ')}${ok ? '' : ' — FAILED'}
Target (cached trivial route at least ${target} x the plain route): ${met ? 'met' : 'NOT met'} (${trivial
    .map((r) => `${r.name} ${r.ratioToPlain.toFixed(2)}`)
    .join(', ')}); 20 ms handler: ${slow.ratioToPlain.toFixed(1)} x the plain route`)
  // The server may hold timers of its own: it is stopped, not waited for.
  server.kill()
  return { framework, targetMet: met, checksOk: ok, results }
}
