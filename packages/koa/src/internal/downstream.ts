import { AsyncLocalStorage } from 'node:async_hooks'
import { type IncomingHttpHeaders, ServerResponse } from 'node:http'
import { type HttpResponse, handlerHeaders, type Validators } from '@cacheguard/http'
import type { Context, Response as KoaResponse, Next } from 'koa'
import { capture } from './capture.js'

/** The downstream run each piece of code belongs to, if any (see `mine` below). */
const runs = new AsyncLocalStorage<object>()

/** The downstream middleware of one request, run for the HTTP cache. */
export interface Downstream {
  /**
   * Runs the downstream middleware (once, however often it is called) against a response of its
   * own, and resolves what Koa would have sent for it. The request's real response is untouched.
   * `validators`: the cache revalidates a stored response; the downstream sees them in place of
   * the client's.
   */
  run(validators?: Validators): Promise<HttpResponse>
  /**
   * Hands `ctx` back to the request: from now on only the downstream's own code (a refresh or a
   * late handler still running) sees its private response; the answer goes on the real one.
   */
  answered(): void
}

/**
 * What the downstream sees in place of `ctx.response`, `ctx.res`, `ctx.respond`, `ctx.cookies`,
 * and of the request's headers.
 */
interface Own {
  response: KoaResponse
  res: ServerResponse
  respond: unknown
  cookies: unknown
  headers: IncomingHttpHeaders
}

/**
 * Koa hands every middleware the same `ctx`, and a downstream run may outlive the request's answer
 * (a stale-while-revalidate refresh, a handler past `handlerTimeout`). So the run writes to a
 * response of its own: a fresh Koa response over a `ServerResponse` that has no socket. While the
 * request waits for the cache, `ctx` shows that private response to everyone: the upstream is
 * suspended, and a write from a callback that lost the async context still lands in the response
 * the cache examines. Once the request is answered, `ctx` shows the real response to everyone but
 * the run's own code, told apart by an AsyncLocalStorage entered around `next()` (as Koa keeps
 * `app.currentContext`).
 */
export function downstream(ctx: Context, next: Next): Downstream {
  const token = {}
  let answered = false
  let running: Promise<HttpResponse> | undefined
  const mine = () => !answered || runs.getStore() === token

  const isolated = async (validators: Validators | undefined): Promise<HttpResponse> => {
    const own = ownResponse(ctx, validators)
    const restore = divert(ctx, own, mine)
    try {
      return await runs.run(token, async () => {
        await next()
        if (own.respond === false) {
          throw new Error(
            'koaCache cannot cache a response written to ctx.res directly (ctx.respond = false): ' +
              'set ctx.body instead, or keep koaCache off this route',
          )
        }
        return capture(own.response)
      })
    } finally {
      restore()
    }
  }

  return {
    run(validators) {
      running ??= isolated(validators)
      return running
    },
    answered() {
      answered = true
    },
  }
}

/** A response like the one Koa's `createContext` makes, over a `ServerResponse` never sent. */
function ownResponse(ctx: Context, validators: Validators | undefined): Own {
  const res = new ServerResponse(ctx.req)
  // Koa's `handleRequest` starts every response at 404, so "no middleware answered" reads the same.
  res.statusCode = 404
  const response: KoaResponse = Object.create(Object.getPrototypeOf(ctx.response))
  Object.assign(response, { app: ctx.app, req: ctx.req, res, ctx, request: ctx.request })
  // The run's response is shared by every request for the URL, so it must not be a 304 or 412
  // to this client's validators (ctx.fresh, koa-conditional-get): the run sees a GET or HEAD
  // without them, and the cache answers them from the stored response.
  const headers = handlerHeaders(
    { method: ctx.method, url: ctx.url, headers: ctx.req.headers },
    validators,
  ) as IncomingHttpHeaders
  return { response, res, respond: undefined, cookies: undefined, headers }
}

/**
 * Points `ctx.response`, `ctx.res`, `ctx.request.response`, `ctx.respond` and `ctx.cookies` at the
 * run's own response, and `ctx.req.headers` at the run's headers, while `mine()` says so; returns
 * what puts the real ones back.
 */
function divert(ctx: Context, own: Own, mine: () => boolean): () => void {
  const proto: object = Object.getPrototypeOf(ctx)
  const restores = [
    split(ctx, 'response', own, mine),
    split(ctx, 'res', own, mine),
    split(ctx.request, 'response', own, mine),
    split(ctx, 'respond', own, mine),
    split(ctx.req, 'headers', own, mine),
    // Koa caches `ctx.cookies` on ctx, over the real `res`: the run gets a jar over its own `res`
    // (made by Koa's own getter), so a `Set-Cookie` lands in the response the cache examines.
    split(ctx, 'cookies', own, mine, {
      get: () =>
        (own.cookies ??= Reflect.get(proto, 'cookies', {
          app: ctx.app,
          req: ctx.req,
          res: own.res,
          request: ctx.request,
        })),
      real: () => Reflect.get(proto, 'cookies', ctx),
      setReal: (value) => Reflect.set(proto, 'cookies', value, ctx),
    }),
  ]
  return () => {
    for (const restore of restores.reverse()) restore()
  }
}

interface Accessors {
  get(): unknown
  real(): unknown
  setReal(value: unknown): void
}

/** Makes `target[name]` read and write `own[name]` while `mine()`, and its real value otherwise. */
function split(
  target: object,
  name: keyof Own,
  own: Own,
  mine: () => boolean,
  accessors?: Accessors,
): () => void {
  const t = target as Record<string, unknown>
  const had = Object.getOwnPropertyDescriptor(target, name)
  let real = accessors === undefined ? t[name] : undefined
  Object.defineProperty(target, name, {
    configurable: true,
    enumerable: had?.enumerable ?? true,
    get: () => {
      if (mine()) return accessors ? accessors.get() : own[name]
      return accessors ? accessors.real() : real
    },
    set: (value: unknown) => {
      if (mine()) own[name] = value as never
      else if (accessors) accessors.setReal(value)
      else real = value
    },
  })
  return () => {
    if (accessors !== undefined) {
      if (had === undefined) delete t[name]
      else Object.defineProperty(target, name, had)
    } else if (had === undefined && real === undefined) {
      delete t[name]
    } else {
      Object.defineProperty(target, name, {
        value: real,
        writable: true,
        configurable: true,
        enumerable: had?.enumerable ?? true,
      })
    }
  }
}
