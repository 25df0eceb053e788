// What the HTTP benchmarks (http.ts, http-frameworks.ts) share: their server in a child process (so the
// load generator has the other core), and one autocannon run against one of its routes, with the
// server's CPU time per request.
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { median } from './measure.js'
import { receive } from './receive.js'

/** What every benchmark server says: its port once listening, its CPU time when asked. */
type ServerMessage = { ready: number } | { cpu: number } | object

/** A benchmark server: `lib/<file>` forked under tsx with `args`, listening on `base`. */
export interface BenchServer {
  child: ChildProcess
  base: string
  /** One autocannon run against `/route`; fails the benchmark on any error or non-2xx answer. */
  load(route: string, duration: number): Promise<RouteRun>
}

/** What one run against a route measured. */
export interface RouteRun {
  requestsPerSecond: number
  /** CPU time of the server process per request (the load generator's is not counted). */
  serverCpuMicrosPerRequest: number
  p50: number
  p99: number
}

/** Forks the server and resolves once it listens; it is killed when this process exits. */
export async function startBenchServer(
  file: string,
  args: string[],
  connections: number,
): Promise<BenchServer> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), args, {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    execArgv: ['--import', 'tsx', '--conditions=cacheguard-source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  // A failed run must not leave the server behind.
  process.on('exit', () => child.kill())
  const port = await receive(child, (m: ServerMessage) => ('ready' in m ? m.ready : undefined))
  const base = `http://127.0.0.1:${port}`
  const serverCpu = (): Promise<number> => {
    child.send({ cpu: true })
    return receive(child, (m: ServerMessage) => ('cpu' in m ? m.cpu : undefined))
  }
  return {
    child,
    base,
    async load(route, duration) {
      const cpuBefore = await serverCpu()
      const result = await autocannon({ url: `${base}/${route}`, connections, duration })
      const cpuMicros = (await serverCpu()) - cpuBefore
      if (result.errors > 0 || result.non2xx > 0) {
        throw new Error(`${route}: ${result.errors} errors, ${result.non2xx} non-2xx answers`)
      }
      return {
        requestsPerSecond: result.requests.total / result.duration,
        serverCpuMicrosPerRequest: cpuMicros / result.requests.total,
        p50: result.latency.p50,
        p99: result.latency.p99,
      }
    },
  }
}

/** Runs every route `rounds` times, alternating within each round and rotating the first. */
export async function alternate<R extends string>(
  server: BenchServer,
  routes: readonly R[],
  rounds: number,
  seconds: number,
): Promise<RouteRun[][]> {
  for (const route of routes) await server.load(route, 1)
  const runs = routes.map(() => [] as RouteRun[])
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < routes.length; turn++) {
      const i = (round + turn) % routes.length
      runs[i]!.push(await server.load(routes[i]!, seconds))
    }
  }
  return runs
}

/**
 * The medians of route `i`'s runs, and its ratio to route `baseline`'s: overall, and the lowest
 * and highest of the same rounds (`alternate` runs them side by side).
 */
export function routeFigures(runs: RouteRun[][], i: number, baseline: number) {
  const rates = runs.map((list) => list.map((run) => run.requestsPerSecond))
  const paired = rates[i]!.map((rate, round) => rate / rates[baseline]![round]!)
  const requestsPerSecond = median(rates[i]!)
  return {
    requestsPerSecond,
    ratioToPlain: requestsPerSecond / median(rates[baseline]!),
    /** The lowest and highest ratio to the baseline's run of the same round. */
    roundRatiosToPlain: [Math.min(...paired), Math.max(...paired)] as [number, number],
    /** CPU time of the server process per request: what the route costs, whatever the scheduling. */
    serverCpuMicrosPerRequest: median(runs[i]!.map((run) => run.serverCpuMicrosPerRequest)),
    latencyP50Ms: median(runs[i]!.map((run) => run.p50)),
    latencyP99Ms: median(runs[i]!.map((run) => run.p99)),
    requestsPerSecondPerRound: rates[i]!,
  }
}
