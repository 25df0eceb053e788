import type { ServerResponse } from 'node:http'
import { type HttpResponse, hasContentLength } from '@cacheguard/http'
import type { FastifyReply } from 'fastify'

/**
 * Puts the cache's answer on `reply` and returns the body to send through it. `own`: the reply
 * carries the handler's headers, which the answer replaces (the cache removed some, its
 * `CacheGuard-Cache-Control` and `Cache-Tag`); otherwise the answer's headers go over those that
 * hooks before the cache set (CORS, say).
 */
export function putAnswer(reply: FastifyReply, response: HttpResponse, own: boolean): Buffer {
  if (own) for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name)
  reply.code(response.status)
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue
    // A Set-Cookie given to `header` is appended to the one there: only this request's own.
    if (name === 'set-cookie') reply.removeHeader(name)
    reply.header(name, value)
  }
  const { body } = response
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
}

/**
 * Sends the cache's answer straight on the connection, while the route's handler still runs (past
 * `handlerTimeout`, or while a refresh runs): the reply stays the handler's, and what it answers
 * later goes to the cache. `upstream`: the headers hooks before the cache had set.
 */
export function sendEarly(
  res: ServerResponse,
  response: HttpResponse,
  upstream: Record<string, unknown>,
  head: boolean,
): void {
  if (res.headersSent || res.destroyed) return
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(upstream)) {
    if (typeof value === 'string' || Array.isArray(value)) headers[name] = value
    else if (typeof value === 'number') headers[name] = String(value)
  }
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = value
  }
  const { status, body } = response
  delete headers['transfer-encoding']
  if (!head && hasContentLength(status)) {
    headers['content-length'] = String(body.byteLength)
  }
  res.writeHead(status, headers)
  if (head || body.byteLength === 0) res.end()
  else res.end(body)
}
