// Test helpers for @cacheguard/express: real servers on loopback, driven over real sockets.
import { Agent, createServer, type RequestListener } from 'node:http'
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

export { type Reply, type Send, send, sleep } from '@cacheguard/http/testing'

/** One keep-alive connection, so that a test sees what else came down the same socket. */
export function oneSocket(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  afterAll(() => agent.destroy())
  return agent
}
