import { type HttpResponse, labelled, unshared } from '@cacheguard/http'
import { headersOf, toHeaders } from './response.js'

/** Statuses whose body this request may stream while the cache reads it: full 2xx answers. */
function streamable(response: Response): boolean {
  return (
    response.body !== null &&
    response.status >= 200 &&
    response.status < 300 &&
    response.status !== 204 &&
    response.status !== 206
  )
}

/**
 * Splits a handler's streamed response in two, when it may be streamed (a full 2xx with a body):
 * `client` sends it on as it comes, labelled as this request's MISS, and `stored` resolves what
 * the cache gets once the body has ended: the whole body, or, past `maxBodyBytes`, none and
 * `CacheGuard-Cache-Control: no-store` (read no further: the client's half carries on alone).
 * `undefined` for a response that is read whole first.
 */
export function teeResponse(
  response: Response,
  maxBodyBytes: number,
): { client: Response; stored: Promise<HttpResponse> } | undefined {
  if (!streamable(response)) return undefined
  const [toClient, toCache] = response.body!.tee()
  const { status } = response
  const headers = headersOf(response)
  const stored = (async (): Promise<HttpResponse> => {
    const body = await readUpTo(toCache, maxBodyBytes)
    if (body !== undefined) return { status, headers, body }
    return unshared({ status, headers, body: new Uint8Array(0) })
  })()
  const label = labelled({ status, headers, body: new Uint8Array(0) }, 'MISS')
  const client = new Response(toClient, {
    status,
    statusText: response.statusText,
    headers: toHeaders(label.headers),
  })
  return { client, stored }
}

/** Reads `stream` to its end, or `undefined` (and cancels it) once it passes `max` bytes. */
async function readUpTo(
  stream: ReadableStream<Uint8Array>,
  max: number,
): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = []
  let length = 0
  for await (const chunk of stream) {
    length += chunk.byteLength
    if (length > max) {
      // Leaving the loop early cancels this half of the tee; the client's half reads on.
      return undefined
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}
