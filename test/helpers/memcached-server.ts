import { type ChildProcess, spawn } from 'node:child_process'
import { connect } from 'node:net'
import { freePort } from './redis-server.js'

/** A `memcached` child process this test run started and must stop. */
export interface MemcachedServer {
  readonly port: number
  /** `127.0.0.1:<port>`, as `memjs.Client.create` takes it. */
  readonly url: string
  readonly process: ChildProcess
  /** Stops the server (SIGTERM, then SIGKILL after 2 s). */
  stop(): Promise<void>
  /** Kills the server at once, as a crash would. */
  kill(): Promise<void>
}

/** What `startMemcachedServer` starts. */
export interface MemcachedServerOptions {
  /** A port to listen on, to restart a server that was stopped; a free one by default. */
  port?: number
  /** Memcached's item size limit (`-I`), such as `'512k'`; Memcached's own 1 MB by default. */
  maxItemSize?: string
}

/**
 * Starts a throwaway `memcached` on a free loopback port (TCP only, `-U 0`), and resolves once it
 * answers `version`. The binary is `MEMCACHED_BIN`, else `memcached` on the PATH. Stop it in
 * `afterAll`.
 */
export async function startMemcachedServer(
  options: MemcachedServerOptions = {},
): Promise<MemcachedServer> {
  const port = options.port ?? (await freePort())
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-t', '2', '-m', '64']
  if (options.maxItemSize !== undefined) args.push('-I', options.maxItemSize)
  // memcached refuses to run as root unless told which user to be.
  if (process.getuid?.() === 0) args.push('-u', 'root')
  const child = spawn(process.env.MEMCACHED_BIN ?? 'memcached', args, {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  let spawnError: Error | undefined
  child.once('error', (error) => {
    spawnError = error
  })
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const deadline = Date.now() + 10_000
  for (;;) {
    if (spawnError) {
      throw new Error(
        `memcached could not be started (${spawnError.message}): install it (apt-get install memcached) or set MEMCACHED_BIN`,
      )
    }
    if (child.exitCode !== null) {
      throw new Error(`memcached exited with ${child.exitCode}: ${stderr.trim()}`)
    }
    if ((await memcachedCommand(port, 'version').catch(() => '')).startsWith('VERSION')) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`memcached on port ${port} did not answer within 10 s: ${stderr.trim()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 30))
  }
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000)
    await exited
    clearTimeout(timer)
  }
  return {
    port,
    url: `127.0.0.1:${port}`,
    process: child,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  }
}

/**
 * Sends one text-protocol command (`version`, `mg <key> t`) to the memcached on `port` and
 * resolves its one-line answer, without its CRLF. Rejects after 2 s or on a connection error.
 */
export function memcachedCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${command}\r\n`))
    let answer = ''
    socket.setTimeout(2000, () => {
      socket.destroy()
      reject(new Error(`memcached did not answer \`${command}\` within 2 s`))
    })
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1')
      const end = answer.indexOf('\r\n')
      if (end !== -1) {
        socket.destroy()
        resolve(answer.slice(0, end))
      }
    })
    socket.on('error', reject)
  })
}
