import { Readable, Stream } from 'node:stream'
import type { HttpResponse } from '@cacheguard/http'
import type { Response as KoaResponse } from 'koa'

/** The statuses Koa sends without a body (its `statuses.empty`), stripping the body's headers. */
export const EMPTY_STATUSES: ReadonlySet<number> = new Set([204, 205, 304])

const NO_BYTES = new Uint8Array(0)

/**
 * What Koa's `respond` would send for `response` (koa/lib/application.js), as bytes: the default
 * status-message body, JSON for objects, the drained stream, and a `Content-Length` that matches,
 * so that the first answer and every replay carry the same headers and bytes.
 */
export async function capture(response: KoaResponse): Promise<HttpResponse> {
  const { res } = response
  const status = res.statusCode
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(res.getHeaders())) {
    if (value !== undefined) headers[name] = typeof value === 'number' ? String(value) : value
  }
  // The body is sent whole, with a length: a chunked framing the handler asked for is moot.
  delete headers['transfer-encoding']
  if (EMPTY_STATUSES.has(status)) {
    delete headers['content-type']
    delete headers['content-length']
    return { status, headers, body: NO_BYTES }
  }
  let body: Uint8Array
  if (response.body === null || response.body === undefined) {
    if ((response as { _explicitNullBody?: boolean })._explicitNullBody === true) {
      // `ctx.body = null` then a status that takes a body: Koa sends it empty and untyped.
      delete headers['content-type']
      body = NO_BYTES
    } else {
      // Nobody set a body: Koa answers the status message as text (`Not Found`).
      body = Buffer.from(
        response.req.httpVersionMajor >= 2 ? String(status) : response.message || String(status),
      )
      headers['content-type'] = 'text/plain; charset=utf-8'
    }
  } else {
    body = await bytesOf(response.body)
  }
  headers['content-length'] = String(body.byteLength)
  return { status, headers, body }
}

/** The bytes Koa would write for a body of any kind it accepts. */
async function bytesOf(body: unknown): Promise<Uint8Array> {
  if (typeof body === 'string') return Buffer.from(body)
  // Only a Buffer is bytes to Koa; any other typed array is serialized as JSON, as Koa does.
  if (Buffer.isBuffer(body)) return body
  if (body instanceof Blob || body instanceof Response) return bytesOfWeb(body)
  if (body instanceof ReadableStream) return bytesOfWeb(new Response(body))
  if (isStream(body)) return drain(body)
  return Buffer.from(JSON.stringify(body) ?? '')
}

async function bytesOfWeb(body: Blob | Response): Promise<Uint8Array> {
  return new Uint8Array(await body.arrayBuffer())
}

/** Koa's own test (koa/lib/is-stream.js): a Node stream, or anything readable enough to pipe. */
function isStream(body: unknown): body is NodeJS.ReadableStream {
  if (body instanceof Stream) return true
  const b = body as Partial<Readable> | null
  return (
    typeof b === 'object' &&
    b !== null &&
    b.readable === true &&
    typeof b.pipe === 'function' &&
    typeof b.read === 'function'
  )
}

/** Reads a stream to its end; a stream error rejects (the handler failed). */
async function drain(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const source: AsyncIterable<unknown> =
    Symbol.asyncIterator in stream ? stream : new Readable().wrap(stream)
  const chunks: Buffer[] = []
  for await (const chunk of source) {
    if (Buffer.isBuffer(chunk)) chunks.push(chunk)
    else if (typeof chunk === 'string' || chunk instanceof Uint8Array)
      chunks.push(Buffer.from(chunk))
    else throw new TypeError(`Expected a body stream of bytes or strings, got a ${typeof chunk}`)
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
}
