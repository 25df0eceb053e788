import { AsyncLocalStorage } from 'node:async_hooks'
import { fromResponse, handlerRequest } from '@cacheguard/fetch'
import type { HttpRequest, HttpResponse, Validators } from '@cacheguard/http'
import type { Context, Next } from 'hono'

/** The downstream run each piece of code belongs to, if any. */
const runs = new AsyncLocalStorage<object>()

/** The rest of one request's middleware chain (its route's handler), run for the HTTP cache. */
export interface Downstream {
  /**
   * Runs the rest of the chain (once, however often it is called) and resolves the handler's
   * response, read to its end. `validators`: the cache revalidates a stored response; the handler
   * sees them in place of the client's.
   */
  run(validators?: Validators): Promise<HttpResponse>
  /** Whether a run started and has not ended (a refresh or a late handler, outliving the answer). */
  readonly pending: boolean
  /**
   * The headers middleware before the cache set (CORS, say), for an answer the handler did not
   * make: as they were when the run started, or as they are now when none did.
   */
  upstream(): Headers
  /**
   * Answers the request with `answer` while a run is still going: from now on the request (and
   * the middleware before this one) sees `answer` as `c.res`, and the run's own code sees the
   * handler's response, as if it were alone.
   */
  detach(answer: Response): void
}

/**
 * Hono hands every middleware one `Context`, and a run may outlive the request's answer (a
 * stale-while-revalidate refresh, a handler past `handlerTimeout`): then the request's answer and
 * the handler's response would share `c.res`, the handler's `c.json` copying the answer's headers
 * (its `ETag`, its `Age`) into a response the cache stores. So once the request is answered, `c`
 * shows `res` and `finalized` to the run's own code as the handler made them, and the answer to
 * everyone else, told apart by an AsyncLocalStorage entered around `next()` (as the Koa adapter
 * does for `ctx.response`).
 */
export function downstream(c: Context, next: Next, request: HttpRequest): Downstream {
  const token = {}
  let running: Promise<HttpResponse> | undefined
  let pending = false
  let upstream: Headers | undefined
  const raw = c.req.raw
  const isolated = (validators: Validators | undefined) =>
    runs.run(token, async () => {
      pending = true
      upstream = new Headers(c.res.headers)
      try {
        // What the handler answers may be shared with every client: it sees the request without
        // this client's validators, and with the cache's own when it revalidates.
        c.req.raw = handlerRequest(raw, request, validators)
        await next()
        return await fromResponse(c.res)
      } finally {
        pending = false
      }
    })
  return {
    run(validators) {
      running ??= isolated(validators)
      return running
    },
    get pending() {
      return pending
    },
    upstream() {
      return upstream ?? new Headers(c.res.headers)
    },
    detach(answer) {
      const proto = Object.getPrototypeOf(c) as object
      const mine = () => runs.getStore() === token
      let sent = answer
      let ownFinalized = c.finalized
      Object.defineProperty(c, 'res', {
        configurable: true,
        get: () => (mine() ? Reflect.get(proto, 'res', c) : sent),
        set: (value: Response | undefined) => {
          if (mine()) Reflect.set(proto, 'res', value, c)
          else if (value !== undefined) sent = value
        },
      })
      Object.defineProperty(c, 'finalized', {
        configurable: true,
        get: () => (mine() ? ownFinalized : true),
        set: (value: boolean) => {
          if (mine()) ownFinalized = value
        },
      })
    },
  }
}
