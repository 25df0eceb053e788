// What an adapter gives the scenario suite, and how the suite serves a scenario through it: a
// framework-neutral handler, translated by the adapter, behind the adapter's cache, on a real
// socket.
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Cache, type CacheOptions, type CacheStore, createCache } from '@cacheguard/core'
import { onTestFinished } from 'vitest'
import type { HttpCacheOptions } from '../types.js'
import { type Reply, type Send, send } from './client.js'

/** The request a scenario's handler sees: header names lower-case, as Node gives them. */
export interface ScenarioRequest {
  method: string
  /** The path and query, as the client sent them. */
  url: string
  headers: Record<string, string | string[] | undefined>
}

/** What a scenario's handler answers. Several `Set-Cookie` values come as an array. */
export interface ScenarioResponse {
  /** @default 200 */
  status?: number
  headers?: Record<string, string | string[]>
  /** @default '' */
  body?: string | Uint8Array
  /**
   * The body as a stream of these pieces, sent one after the other with a pause between them, as
   * the framework streams a body (`res.write`, a Node stream, a `ReadableStream`); `body` is then
   * ignored. An adapter whose framework cannot stream sends them joined, and says so.
   */
  chunks?: Uint8Array[]
}

/**
 * A scenario's handler, in no framework's terms: the adapter translates it into a route of its
 * own. It may throw (the framework's error path answers), or never settle.
 */
export type ScenarioHandler = (
  request: ScenarioRequest,
) => ScenarioResponse | Promise<ScenarioResponse>

/** A scenario's `chunks` one after the other, a millisecond apart: a body that streams. */
export async function* paced(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const [i, chunk] of chunks.entries()) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 1))
    yield chunk
  }
}

/** An HTTP adapter under test: how to put a scenario's handler behind its cache. */
export interface HttpAdapter {
  /** Names the adapter in test titles. */
  name: string
  /** The store the suite's caches use; called once per test (give each call keys of its own). */
  store: () => CacheStore
  /**
   * A request listener that serves `handler` behind the adapter's cache over `cache`, with
   * `options`; it throws, at once, what the adapter throws for bad options. The listener answers
   * every method and path, with nothing added to the handler's answer (no automatic `ETag`).
   */
  serve: (cache: Cache, handler: ScenarioHandler, options: HttpCacheOptions) => RequestListener
  /**
   * A store over a Redis server of the test's own, which the outage scenario stops and starts
   * again mid-run; called once per test (stop the server when the test finishes). The store's
   * client should fail commands at once while the server is away (ioredis:
   * `enableOfflineQueue: false`). Without it, the outage scenario is not registered.
   */
  outage?: () => Promise<StoreOutage>
}

/** A store whose server a scenario can stop and start again. */
export interface StoreOutage {
  store: CacheStore
  /** Stops the server: the store's commands fail from now on. */
  stop(): Promise<void>
  /** Starts the server again at the same address, and resolves once the store's client is ready. */
  start(): Promise<void>
}

/** A scenario served on a loopback port for the current test. */
export interface Site {
  /** `http://127.0.0.1:<port>` */
  base: string
  cache: Cache
  /** How many times the handler ran. */
  readonly runs: number
  /** Sends a request for `path` (default `/r`). */
  send(path?: string, options?: Send): Promise<Reply>
}

/** A handler that is told which run this is (1 for the first). */
export type CountedHandler = (
  request: ScenarioRequest,
  run: number,
) => ScenarioResponse | Promise<ScenarioResponse>

/**
 * Serves `handler` through `adapter` on a free loopback port, closed when the test finishes.
 * The cache does not jitter and gives the store 5 s: the tests count handler runs exactly, and a
 * store call held up by a busy machine must not time out into an extra run.
 */
export async function serveScenario(
  adapter: HttpAdapter,
  handler: CountedHandler,
  options: HttpCacheOptions = {},
  cacheOptions: CacheOptions = {},
): Promise<Site> {
  const cache = createCache({
    store: adapter.store(),
    jitter: 0,
    storeTimeout: '5s',
    ...cacheOptions,
  })
  let runs = 0
  const server = createServer(adapter.serve(cache, (request) => handler(request, ++runs), options))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    base,
    cache,
    get runs() {
      return runs
    },
    send: (path = '/r', sendOptions = {}) => send(`${base}${path}`, sendOptions),
  }
}
