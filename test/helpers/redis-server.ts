import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'

/** A redis-server child process this test run started and must stop. */
export interface RedisServer {
  readonly port: number
  readonly url: string
  readonly process: ChildProcess
  /** Stops the server (SIGTERM, then SIGKILL after 2 s) and removes its directory. */
  stop(): Promise<void>
  /** Kills the server at once, as a crash would. */
  kill(): Promise<void>
}

/** Finds a free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (typeof address === 'object' && address) resolve(address.port)
        else reject(new Error('no port'))
      })
    })
  })
}

/**
 * Starts a throwaway `redis-server` on a free loopback port (or on `port`, to restart one that was
 * stopped), with nothing kept on disk, and resolves once it answers PING.
 */
export async function startRedisServer(
  extraArgs: string[] = [],
  port?: number,
): Promise<RedisServer> {
  port ??= await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'cacheguard-redis-'))
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...extraArgs,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.once('error', () => {})
  const url = `redis://127.0.0.1:${port}`
  await waitForPing(url, child)
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000)
      await exited
      clearTimeout(timer)
    }
    await rm(dir, { recursive: true, force: true })
  }
  return {
    port,
    url,
    process: child,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  }
}

/** Resolves once `url` answers PING; rejects after 10 s or if the process exits first. */
export async function waitForPing(url: string, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child && child.exitCode !== null)
      throw new Error(`redis-server exited with ${child.exitCode}`)
    if (await pings(url)) return
    if (Date.now() > deadline) throw new Error(`redis at ${url} did not answer within 10 s`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Whether a Redis at `url` answers PING within 500 ms. */
export async function pings(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}
