import type { ChildProcess } from 'node:child_process'

/** The next message of a benchmark's server process that `accept` takes, or an error after 10 s. */
export function receive<M, T>(
  child: ChildProcess,
  accept: (message: M) => T | undefined,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error('the benchmark server did not answer')), 10_000)
    const onMessage = (message: M) => {
      const value = accept(message)
      if (value !== undefined) done(undefined, value)
    }
    const onExit = () => done(new Error('the benchmark server exited'))
    const done = (error?: Error, value?: T) => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
      if (error) reject(error)
      else resolve(value as T)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}
