// Test helpers for @cacheguard/express: real servers on loopback, driven over real sockets.
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type RequestListener,
  request,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll } from 'vitest'

/** Starts `app` on 127.0.0.1 at a free port and closes it after the file's tests; resolves its base URL. */
export async function listen(app: RequestListener): Promise<string> {
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A response as it came off the socket: no decoding of any kind. */
export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface Send {
  method?: string
  headers?: Record<string, string>
  body?: string
  agent?: Agent
}

/** Sends one request and reads the whole response, raw (a gzip body stays gzip). */
export function send(url: string, options: Send = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** One keep-alive connection, so that a test sees what else came down the same socket. */
export function oneSocket(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  afterAll(() => agent.destroy())
  return agent
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
