import { type HttpResponse, hasContentLength, unstored } from '@cacheguard/http'
import type { FastifyReply } from 'fastify'
import { payloadBytes } from './payload.js'

/**
 * A reply as the HTTP cache takes it, from what the `onSend` hooks before this one made of the
 * handler's answer: the status, the headers (names lower-case, as Fastify keeps them) and the body
 * read to its end. `Transfer-Encoding` goes (it framed the body on this connection), and
 * `Content-Length` is the length of the bytes read. A `Response` sent as the payload gives its own
 * status and headers, as Fastify would send them.
 *
 * @param errored - Fastify's error handler made this reply: it is `unstored` (nothing an error
 *   produced is stored, whatever its status and headers; the requests waiting for it share it, as
 *   they share a handler's own 5xx).
 */
export async function captureReply(
  reply: FastifyReply,
  payload: unknown,
  errored: boolean,
): Promise<HttpResponse> {
  let status = reply.statusCode
  const headers: HttpResponse['headers'] = {}
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value === undefined || name === 'content-length' || name === 'transfer-encoding') continue
    headers[name] = typeof value === 'number' ? String(value) : value
  }
  let body = payload
  if (payload instanceof Response) {
    status = payload.status
    payload.headers.forEach((value, name) => {
      if (name !== 'set-cookie' && name !== 'content-length') headers[name] = value
    })
    const cookies = payload.headers.getSetCookie()
    if (cookies.length > 0)
      headers['set-cookie'] = [...[headers['set-cookie'] ?? []].flat(), ...cookies]
    body = payload.body
  }
  const bytes = await payloadBytes(body)
  // Whole now, its length is known: kept, so that a HEAD answered from it says the GET's length.
  if (hasContentLength(status) && bytes.byteLength > 0) {
    headers['content-length'] = String(bytes.byteLength)
  }
  const response = { status, headers, body: bytes }
  return errored ? unstored(response) : response
}
