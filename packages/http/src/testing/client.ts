// The suite's client: one request over a real socket, the response read raw.
import { Agent, type IncomingHttpHeaders, request } from 'node:http'

/** A response as it came off the socket: no decoding of any kind. */
export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  /** The body as UTF-8 text. */
  text: string
}

/** What a test varies in a request. */
export interface Send {
  /** @default 'GET' */
  method?: string
  headers?: Record<string, string>
  body?: string
  /** A keep-alive agent, to see what else comes down the same connection. */
  agent?: Agent
}

/** Sends one request to `url` and reads the whole response, raw (a gzip body stays gzip). */
export function send(url: string, options: Send = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const body = Buffer.concat(chunks)
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text: body.toString(),
          })
        })
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/**
 * A keep-alive agent with one socket (or `sockets`): every request goes down the same
 * connection, or one of a few that stay open. Destroy it when done.
 */
export function oneSocket(sockets = 1): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets })
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** `ms` (a time in milliseconds since the epoch) as an HTTP date. */
export const httpDate = (ms: number) => new Date(ms).toUTCString()
