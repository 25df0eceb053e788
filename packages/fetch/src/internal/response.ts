import type { HttpResponse } from '@cacheguard/http'

/** Statuses whose response has no body (Fetch's "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/**
 * A handler's `Response` as the HTTP cache takes it: its status, its headers with lower-case
 * names (each `Set-Cookie` kept apart), and its body read to the end as bytes, byte-identical.
 * `Transfer-Encoding` goes: it framed a body that is now whole (Hono's `streamText` sets
 * `chunked`), and the server that sends the bytes frames them itself; sent beside the
 * `Content-Length` a Node server adds, it would make the response invalid (RFC 9112 §6.1).
 */
export async function fromResponse(response: Response): Promise<HttpResponse> {
  if (!(response instanceof Response)) {
    throw new TypeError(
      `Expected the handler to resolve a Response, got ${response === null ? 'null' : typeof response}`,
    )
  }
  const body =
    response.body === null ? new Uint8Array(0) : new Uint8Array(await response.arrayBuffer())
  return { status: response.status, headers: headersOf(response), body }
}

/** A `Response`'s headers as the HTTP cache keeps them (see `fromResponse`). */
export function headersOf(response: Response): HttpResponse['headers'] {
  const headers: HttpResponse['headers'] = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie' && name !== 'transfer-encoding') headers[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  return headers
}

/** The cache's answer as a `Response`: no body on a HEAD or a null body status, whatever is stored. */
export function toResponse(response: HttpResponse, head: boolean): Response {
  const headers = toHeaders(response.headers)
  const { status, body } = response
  const empty = head || NULL_BODY.has(status)
  return new Response(empty ? null : body, { status, headers })
}

/** The cache's headers as a `Headers` (each `Set-Cookie` its own field). */
export function toHeaders(record: HttpResponse['headers']): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(record)) {
    if (value !== undefined) for (const one of [value].flat()) headers.append(name, one)
  }
  return headers
}
