import { randomUUID } from 'node:crypto'
import { type HttpRequest, handlerHeaders, unshared, type Validators } from '@cacheguard/http'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { HandlerRun } from './handler-run.js'

/** The request field that marks a request the plugin made to run a handler in the background. */
const RUN_FIELD = 'cacheguard-run'

/** Handler runs that outlive their request's answer, each in a request of its own. */
export interface BackgroundRuns {
  /** Runs the route's handler for `seen` in a request of its own (`app.inject`), for `run`. */
  start(
    from: FastifyRequest,
    seen: HttpRequest,
    run: HandlerRun,
    validators: Validators | undefined,
  ): void
  /** The background run `request` was made for, if it is one; its marker is removed. */
  claim(request: FastifyRequest): HandlerRun | undefined
}

/**
 * A request answered from the cache may still need its handler: a stale-while-revalidate or early
 * refresh starts it once the answer is on its way. Fastify's lifecycle runs a handler for a
 * request it has not answered yet, so the refresh is a request of its own, made with
 * `app.inject` and the client's request (without its validators): the route's hooks run for it as
 * for a client (authentication included), and what the handler answers goes to the cache. The
 * marker it carries holds a secret made at startup, so no client can pass for one.
 */
export function backgroundRuns(app: FastifyInstance): BackgroundRuns {
  const secret = randomUUID()
  let n = 0
  const runs = new Map<string, HandlerRun>()
  return {
    start(from, seen, run, validators) {
      const id = `${secret}.${++n}`
      runs.set(id, run)
      const headers = { ...handlerHeaders(seen, validators), [RUN_FIELD]: id }
      app
        .inject({
          method: seen.method as 'GET',
          url: seen.url,
          headers: headers as Record<string, string>,
          remoteAddress: from.ip,
        })
        .then(
          (reply) => {
            // Answered without reaching the cache's hook (a hijacked reply, say): nothing to store.
            if (!run.settled) {
              run.settle(
                unshared({ status: reply.statusCode, headers: {}, body: reply.rawPayload }),
              )
            }
          },
          (error: unknown) => run.fail(error),
        )
        .finally(() => runs.delete(id))
    },
    claim(request) {
      const id = request.headers[RUN_FIELD]
      const run = typeof id === 'string' ? runs.get(id) : undefined
      if (run !== undefined) delete request.raw.headers[RUN_FIELD]
      return run
    },
  }
}
