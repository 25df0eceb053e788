import { buffer } from 'node:stream/consumers'
import { type HttpResponse, hasContentLength } from '@cacheguard/http'
import { StreamableFile } from '@nestjs/common'

/**
 * What a handler returned, as the bytes Nest's platform would send and their content type: a
 * `StreamableFile` read to its end (with its type and disposition), a string as text (HTML on
 * Express, whose `res.send` says so; plain on Fastify), bytes as they are, nothing as an empty
 * body, and anything else as JSON.
 */
export async function handlerBody(
  value: unknown,
  fastify: boolean,
): Promise<{ body: Uint8Array; type?: string; disposition?: string | string[] }> {
  if (value instanceof StreamableFile) {
    const { type, disposition } = value.getHeaders()
    return {
      body: await buffer(value.getStream()),
      type,
      ...(disposition === undefined ? {} : { disposition }),
    }
  }
  if (value === undefined || value === null) return { body: new Uint8Array(0) }
  if (typeof value === 'string') {
    const type = fastify ? 'text/plain; charset=utf-8' : 'text/html; charset=utf-8'
    return { body: Buffer.from(value), type }
  }
  if (value instanceof Uint8Array) return { body: value, type: 'application/octet-stream' }
  return {
    body: Buffer.from(JSON.stringify(value) ?? ''),
    type: 'application/json; charset=utf-8',
  }
}

/**
 * The handler's response for the cache: its status, the response's headers with the body's
 * content type when the handler set none, and the length of the body, now whole (kept, so that a
 * HEAD answered from it says the GET's length).
 */
export async function handlerResponse(
  value: unknown,
  status: number,
  headers: Record<string, string | string[]>,
  fastify: boolean,
): Promise<HttpResponse> {
  const { body, type, disposition } = await handlerBody(value, fastify)
  const all: HttpResponse['headers'] = { ...headers }
  delete all['transfer-encoding']
  if (type !== undefined && all['content-type'] === undefined) all['content-type'] = type
  if (disposition !== undefined && all['content-disposition'] === undefined) {
    all['content-disposition'] = disposition
  }
  if (hasContentLength(status)) {
    all['content-length'] = String(body.byteLength)
  } else delete all['content-length']
  return { status, headers: all, body }
}

/** The cache's answer's body, for Nest to send as it is (a `StreamableFile` is never serialized). */
export function answerBody(response: HttpResponse): StreamableFile {
  const { body } = response
  return new StreamableFile(Buffer.from(body.buffer, body.byteOffset, body.byteLength))
}
