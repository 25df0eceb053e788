import type { NextRequest } from 'next/server.js'

/**
 * A route handler as Next.js 16 checks it: the `RouteHandlerConfig` of the
 * `.next/types/validator.ts` that `next dev`, `next build` and `next typegen` generate, written out
 * here so that the repository's `tsc` checks the routes without generated files.
 *
 * @example
 * export const GET = fetchCache(cache, handler) satisfies RouteHandler<{ id: string }>
 */
export type RouteHandler<Params> = (
  request: NextRequest,
  context: { params: Promise<Params> },
  // biome-ignore lint/suspicious/noConfusingVoidType: Next's own type: a handler may return nothing.
) => Response | void | Promise<Response | void>

/** A `route.ts` module as Next.js 16 checks it: any of these methods, each a `RouteHandler`. */
export interface RouteModule<Params> {
  GET?: RouteHandler<Params>
  HEAD?: RouteHandler<Params>
  OPTIONS?: RouteHandler<Params>
  POST?: RouteHandler<Params>
  PUT?: RouteHandler<Params>
  PATCH?: RouteHandler<Params>
  DELETE?: RouteHandler<Params>
}
