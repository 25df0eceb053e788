import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'
import { redisUrl } from './redis.js'

const CHILD = fileURLToPath(new URL('../fixtures/lock-child.ts', import.meta.url))
const children = new Set<ChildProcess>()

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
})

/** What a lock child reports once every caller of a run has settled. */
export type LockChildDone = {
  latencies: number[]
  values: string[]
  errors: string[]
  stats?: Record<string, number>
  fenced: number
}

/** Options of `lock-child.ts`: no `lockTtl` / `waitTimeout` means lockGuard's defaults. */
export interface LockChildOptions {
  lock?: boolean
  lockTtl?: number
  waitTimeout?: number
  onWaitTimeout?: 'stale' | 'load' | 'throw'
  /** The cache's grace, in milliseconds. @default 0 */
  grace?: number
}

/** A running `lock-child.ts`, driven over IPC. */
export type LockChild = Awaited<ReturnType<typeof spawnLockChild>>

/**
 * Forks `test/fixtures/lock-child.ts` under tsx: a process with its own cache (and lock guard)
 * over the test Redis, as another instance of the app would be. Resolves once it is subscribed;
 * killed after the file's tests if it is still running.
 */
export async function spawnLockChild(prefix: string, options: LockChildOptions = {}) {
  const child = fork(CHILD, [redisUrl(), prefix, JSON.stringify(options)], {
    execArgv: ['--import', 'tsx', '--conditions=cacheguard-source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  children.add(child)
  child.on('exit', () => children.delete(child))
  const next = <T>(field: string, ms = 20_000) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${field} from the child in ${ms} ms`)),
        ms,
      )
      const onExit = () => {
        clearTimeout(timer)
        reject(new Error(`the child exited before sending ${field}`))
      }
      const onMessage = (message: Record<string, unknown>) => {
        if (message.failed) reject(new Error(String(message.failed)))
        if (!(field in message)) return
        clearTimeout(timer)
        child.off('message', onMessage)
        child.off('exit', onExit)
        resolve(message[field] as T)
      }
      child.on('message', onMessage)
      child.once('exit', onExit)
    })
  await next('ready')
  return {
    process: child,
    /** Runs `callers` concurrent `getOrSet(key)` from `startAt`; resolves when all have settled. */
    run(
      key: string,
      callers: number,
      loaderMs: number,
      startAt = Date.now(),
      ms = 20_000,
      tags?: string[],
    ) {
      const done = next<LockChildDone>('done', ms)
      child.send({ run: { key, callers, loaderMs, value: 'v', startAt, tags } })
      return done
    },
    /** Resolves when a loader starts in this child. */
    loading: () => next<{ pid: number; fence?: number }>('loading'),
    /** Asks the child to close its guard and connections and exit. */
    exit: () => {
      if (child.connected) child.send({ exit: true })
    },
  }
}
