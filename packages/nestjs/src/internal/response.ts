// The few things the interceptor does to a response, on either of Nest's HTTP platforms: an
// Express response (Node's ServerResponse) or a Fastify reply.

/** An Express response or a Fastify reply, as far as the interceptor uses them. */
export interface PlatformResponse {
  statusCode: number
  getHeaders(): Record<string, unknown>
  removeHeader(name: string): unknown
  /** Express. */
  setHeader?(name: string, value: string | string[]): unknown
  headersSent?: boolean
  /** Fastify. */
  header?(name: string, value: string | string[]): unknown
  code?(status: number): unknown
  sent?: boolean
}

/** An Express request or a Fastify request, as far as the interceptor uses them. */
export interface PlatformRequest {
  method: string
  url: string
  originalUrl?: string
  headers: Record<string, string | string[] | undefined>
  /** Fastify: the Node request, whose headers `request.headers` reads. */
  raw?: { headers: Record<string, string | string[] | undefined> }
}

/** Whether `response` is a Fastify reply (Nest's Fastify platform). */
export function isFastify(response: PlatformResponse): boolean {
  return typeof response.code === 'function'
}

/** The response's headers, names lower-case, values as strings or lists of strings. */
export function headersOf(response: PlatformResponse): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(response.getHeaders())) {
    if (typeof value === 'string' || Array.isArray(value)) headers[name] = value
    else if (typeof value === 'number') headers[name] = String(value)
  }
  return headers
}

/** Sets the response's status. */
export function setStatus(response: PlatformResponse, status: number): void {
  if (response.code) response.code(status)
  else response.statusCode = status
}

/** Sets a header, replacing any value it had (a Fastify reply appends a `Set-Cookie`). */
export function setHeader(
  response: PlatformResponse,
  name: string,
  value: string | string[],
): void {
  if (response.header) {
    response.removeHeader(name)
    response.header(name, value)
  } else response.setHeader?.(name, value)
}

/** Whether the response went out without Nest sending it (a handler with `@Res()`). */
export function isSent(response: PlatformResponse): boolean {
  return response.sent === true || response.headersSent === true
}

/** Gives the request these headers, as the handler will read them. */
export function setRequestHeaders(
  request: PlatformRequest,
  headers: Record<string, string | string[] | undefined>,
): void {
  if (request.raw) request.raw.headers = headers
  else request.headers = headers
}

/** What a handler sets on a detached response: its status and headers. */
export interface Detached {
  status(): number
  headers(): Record<string, string | string[]>
}

/**
 * Detaches `response` from the handler still running for it, once the cache answered the request
 * (a refresh, or a handler past `handlerTimeout`): from now on, the status and headers the handler
 * sets (through `@Res({ passthrough: true })`) go to a record of its own, starting from `from`,
 * instead of a response already sent (Node would throw) or holding the cache's answer. Call it
 * once the answer is on the response: Nest's own headers for it (a `StreamableFile`'s type) go to
 * the record too, which is why the answer carries its `Content-Type` and `Content-Length`.
 */
export function detach(
  response: PlatformResponse,
  from: { status: number; headers: Record<string, string | string[]> },
): Detached {
  let status = from.status
  const headers = new Map(Object.entries(from.headers))
  const set = (name: string, value: unknown) => {
    const text = Array.isArray(value) ? value.map(String) : String(value)
    headers.set(name.toLowerCase(), text)
    return response
  }
  const setStatus = (code: number) => {
    status = code
    return response
  }
  // `statusCode` itself stays: Node writes the answer's status from it, maybe after this.
  Object.defineProperties(response, {
    // Express (Node's ServerResponse), whose res.set, res.type and res.cookie call setHeader.
    setHeader: { configurable: true, value: set },
    appendHeader: { configurable: true, value: set },
    status: { configurable: true, value: setStatus },
    // Fastify's reply.
    header: { configurable: true, value: set },
    headers: {
      configurable: true,
      value: (all: Record<string, unknown>) => {
        for (const [name, value] of Object.entries(all)) set(name, value)
        return response
      },
    },
    code: { configurable: true, value: setStatus },
    // Both.
    getHeader: { configurable: true, value: (name: string) => headers.get(name.toLowerCase()) },
    getHeaders: { configurable: true, value: () => Object.fromEntries(headers) },
    hasHeader: { configurable: true, value: (name: string) => headers.has(name.toLowerCase()) },
    removeHeader: {
      configurable: true,
      value: (name: string) => {
        headers.delete(name.toLowerCase())
        return response
      },
    },
  })
  return { status: () => status, headers: () => Object.fromEntries(headers) }
}
