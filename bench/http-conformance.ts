// The public HTTP caching test suite (http-cache-tests, the suite behind cache-tests.fyi) against
// expressCache and koaCache over Redis, each in front of the suite's own origin server: the app
// is a reverse proxy whose one handler forwards the request and copies the answer back, and the
// cache sits in front of that handler as it would in front of any route. Default options, then
// `ttl: false`. Counts the required tests passed, judged on their own and as cache-tests.fyi
// scores them (a test whose prerequisite fails counts as failed), with and without the suite's
// Surrogate-Control tests (a header cacheguard does not implement).
//
// The suite is fetched from npm into the system's temporary directory on first use (`npm pack`,
// then `npm install` of its dependencies). Not part of `pnpm bench`: it measures behaviour, not
// speed. Run: cd bench && pnpm exec tsx --conditions=cacheguard-source http-conformance.ts
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createCache } from '@cacheguard/core'
import { expressCache } from '@cacheguard/express'
import type { HttpCacheOptions } from '@cacheguard/http'
import { koaCache } from '@cacheguard/koa'
import { redisStore } from '@cacheguard/redis'
import express from 'express'
import Koa from 'koa'
import { connectBenchRedis, deleteKeys } from './lib/connect.js'
import { printRows, writeResults } from './lib/report.js'
import { runInfo } from './lib/run-info.js'

const SUITE_VERSION = '0.4.5'
const suiteDir = join(tmpdir(), `cacheguard-http-cache-tests-${SUITE_VERSION}`, 'package')

/** Headers of one connection, never forwarded either way (RFC 9110 §7.6.1), and `Host`. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
])

interface Forwarded {
  status: number
  headers: Record<string, string | string[]>
  body: Buffer
}

/** Fetches the suite from npm once, with the dependencies its CLI and origin server need. */
function prepareSuite(): void {
  if (existsSync(join(suiteDir, 'node_modules'))) return
  const parent = join(suiteDir, '..')
  mkdirSync(parent, { recursive: true })
  const tarball = execFileSync('npm', ['pack', `http-cache-tests@${SUITE_VERSION}`, '--silent'], {
    cwd: parent,
    encoding: 'utf8',
  }).trim()
  execFileSync('tar', ['xzf', tarball], { cwd: parent })
  execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--silent'], {
    cwd: suiteDir,
    stdio: 'inherit',
  })
}

/** Forwards one request to the origin; an origin that sends more than its Content-Length (the suite's own test of that) keeps what was framed. */
function forward(
  originPort: number,
  method: string,
  path: string,
  headers: Record<string, string | string[] | undefined>,
  body: NodeJS.ReadableStream | undefined,
): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const sent: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) sent[name] = value
    }
    let received: { chunks: Buffer[]; raw: string[]; status: number } | undefined
    let done = false
    const finish = () => {
      if (done || received === undefined) return
      done = true
      const out: Record<string, string | string[]> = {}
      for (let i = 0; i < received.raw.length; i += 2) {
        const name = received.raw[i]!.toLowerCase()
        if (HOP_BY_HOP.has(name) || name === 'content-length') continue
        const value = received.raw[i + 1]!
        const before = out[name]
        out[name] = before === undefined ? value : ([] as string[]).concat(before, value)
      }
      resolve({ status: received.status, headers: out, body: Buffer.concat(received.chunks) })
    }
    const upstream = request(
      { host: '127.0.0.1', port: originPort, method, path, headers: sent, agent: false },
      (response) => {
        received = { chunks: [], raw: response.rawHeaders, status: response.statusCode ?? 502 }
        response.on('data', (chunk: Buffer) => received!.chunks.push(chunk))
        response.on('end', finish)
        response.on('error', () => {})
      },
    )
    upstream.on('error', (error) => {
      if (received === undefined) reject(error)
      else setImmediate(finish)
    })
    if (body !== undefined && method !== 'GET' && method !== 'HEAD') body.pipe(upstream)
    else upstream.end()
  })
}

/** A reverse proxy to the origin with `framework`'s cache middleware in front of its one handler. */
async function startProxy(
  framework: 'express' | 'koa',
  options: HttpCacheOptions,
  originPort: number,
  redis: Awaited<ReturnType<typeof connectBenchRedis>>['redis'],
  prefix: string,
): Promise<{ port: number; close(): Promise<void> }> {
  const cache = createCache({ store: redisStore(redis, { prefix }) })
  let server: Server
  if (framework === 'express') {
    const app = express()
    // The origin's own ETags only: Express must not invent one, nor answer 304 by itself.
    app.set('etag', false)
    app.disable('x-powered-by')
    app.use(expressCache(cache, options))
    app.use((req, res, next) => {
      forward(originPort, req.method, req.originalUrl, req.headers, req).then((answer) => {
        res.status(answer.status)
        for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value)
        res.end(answer.body)
      }, next)
    })
    // The suite's origin drops some connections on purpose: a 502, without a logged stack.
    app.use((_error: unknown, _req: express.Request, res: express.Response, _next: unknown) => {
      res.status(502).end()
    })
    server = app.listen(0, '127.0.0.1')
  } else {
    const app = new Koa()
    // The suite's origin drops some connections on purpose: Koa answers 500, without a stack.
    app.silent = true
    app.use(koaCache(cache, options))
    app.use(async (ctx) => {
      const answer = await forward(
        originPort,
        ctx.method,
        ctx.originalUrl,
        ctx.req.headers,
        ctx.req,
      )
      ctx.status = answer.status
      for (const [name, value] of Object.entries(answer.headers)) ctx.set(name, value)
      ctx.body = answer.body
      ctx.status = answer.status
    })
    server = app.listen(0, '127.0.0.1')
  }
  await new Promise((resolve) => server.once('listening', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Runs the suite's CLI against `port`; resolves its results by test id. */
function runSuite(port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', 'cli.mjs'], {
      cwd: suiteDir,
      env: {
        ...process.env,
        npm_config_base: `http://127.0.0.1:${port}`,
        npm_package_config_id: '',
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.on('error', reject)
    child.on('exit', () => {
      try {
        resolve(JSON.parse(out) as Record<string, unknown>)
      } catch {
        reject(new Error(`the suite printed no results: ${out.slice(0, 200)}`))
      }
    })
  })
}

interface SuiteTest {
  id: string
  kind?: string
  browser_only?: boolean
}
interface Suite {
  id: string
  tests: SuiteTest[]
}
type Verdict = (suites: Suite[], id: string, results: Record<string, unknown>) => string[]

prepareSuite()
const load = (path: string) => import(pathToFileURL(join(suiteDir, path)).href)
const suites: Suite[] = [...(await load('tests/index.mjs')).default]
const surrogate: Suite = (await load('tests/surrogate-control.mjs')).default
const determine: Verdict = (await load('lib/display.mjs')).determineTestResult
const all = [...suites, surrogate]

/** Required tests passed: judged on their own, and as cache-tests.fyi scores them. */
function score(results: Record<string, unknown>, withSurrogate: boolean) {
  let required = 0
  let own = 0
  let scored = 0
  for (const suite of withSurrogate ? all : suites) {
    for (const test of suite.tests) {
      if (test.browser_only || (test.kind ?? 'required') !== 'required') continue
      required++
      if (results[test.id] === true) own++
      if (determine(all, test.id, results)[2] === '✅') scored++
    }
  }
  return { required, own, scored }
}

const { redis } = await connectBenchRedis('the HTTP conformance run')
const prefix = `bench:http-conformance:${process.pid}:`
const originPort = 18_000 + (process.pid % 1000)
const origin: ChildProcess = spawn(process.execPath, ['server/server.mjs'], {
  cwd: suiteDir,
  env: {
    ...process.env,
    npm_config_protocol: 'http',
    npm_config_port: String(originPort),
    npm_config_pidfile: join(tmpdir(), `http-cache-tests-${process.pid}.pid`),
  },
  stdio: 'ignore',
})
await new Promise((resolve) => setTimeout(resolve, 1000))

const configurations: Array<[string, 'express' | 'koa', HttpCacheOptions]> = [
  ['Express, default options', 'express', {}],
  ['Express, ttl: false', 'express', { ttl: false }],
  ['Koa, default options', 'koa', {}],
  ['Koa, ttl: false', 'koa', { ttl: false }],
]
const rows = [['configuration', 'required', 'on its own', 'as scored', 'without Surrogate-Control']]
const measured = []
try {
  for (const [name, framework, options] of configurations) {
    const proxy = await startProxy(framework, options, originPort, redis, `${prefix}${name}:`)
    const results = await runSuite(proxy.port)
    await proxy.close()
    const full = score(results, true)
    const core = score(results, false)
    measured.push({ name, full, withoutSurrogateControl: core })
    rows.push([
      name,
      String(full.required),
      String(full.own),
      String(full.scored),
      `${core.own} / ${core.scored} of ${core.required}`,
    ])
  }
} finally {
  origin.kill()
  await deleteKeys(redis, `${prefix}*`)
}
console.log(`http-cache-tests ${SUITE_VERSION}: required tests passed\n`)
printRows(rows)
const info = await runInfo(redis)
const file = await writeResults('http-conformance', { ...info, suite: SUITE_VERSION, measured })
console.log(`\nNode ${info.node}, Redis ${info.redis}; written to ${file}`)
await redis.quit()
