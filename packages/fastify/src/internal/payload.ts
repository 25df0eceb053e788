import type { FastifyReply } from 'fastify'

const EMPTY = new Uint8Array(0)

/**
 * The bytes of a payload as `onSend` hooks see it: a string or a Buffer once Fastify serialized
 * the handler's answer, a Node stream or a `ReadableStream` when the handler sent one (read to
 * its end here, byte for byte), nothing for an empty answer.
 */
export async function payloadBytes(payload: unknown): Promise<Uint8Array> {
  if (payload === undefined || payload === null) return EMPTY
  if (typeof payload === 'string') return Buffer.from(payload)
  if (payload instanceof Uint8Array) return payload
  if (isAsyncIterable(payload)) {
    // Node streams and web ReadableStreams are both async iterables of chunks.
    const chunks: Uint8Array[] = []
    for await (const chunk of payload) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array))
    }
    return Buffer.concat(chunks)
  }
  throw new TypeError(
    `Expected a string, a Buffer or a stream to send, got ${Object.prototype.toString.call(payload)}`,
  )
}

/**
 * What `reply.send(payload)` would hand the `onSend` hooks, for a handler that answers after the
 * request was answered without it (past `handlerTimeout`): objects through the route's
 * serializer and strings as text, with the content type Fastify would give them.
 */
export function serializePayload(reply: FastifyReply, payload: unknown): unknown {
  if (payload === undefined || payload === null || typeof payload === 'string') {
    if (typeof payload === 'string' && !reply.hasHeader('content-type')) {
      reply.header('content-type', 'text/plain; charset=utf-8')
    }
    return payload
  }
  if (payload instanceof Uint8Array || isAsyncIterable(payload) || payload instanceof Response) {
    if (payload instanceof Uint8Array && !reply.hasHeader('content-type')) {
      reply.header('content-type', 'application/octet-stream')
    }
    return payload
  }
  if (!reply.hasHeader('content-type')) {
    reply.header('content-type', 'application/json; charset=utf-8')
  }
  return reply.serialize(payload)
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  )
}
