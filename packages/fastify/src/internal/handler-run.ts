import type { HttpResponse, RunHandler, Validators } from '@cacheguard/http'

/** One request's run of its route's handler, for the HTTP cache. */
export interface HandlerRun {
  /** What `http.handle` calls: starts the run (the first call does) and resolves its response. */
  readonly start: RunHandler
  /** Resolves with the validators the run was started with, once `start` is called. */
  readonly started: Promise<Validators | undefined>
  /** Whether `start` was called. */
  readonly isStarted: boolean
  /** Whether the run has its response (or failed). */
  readonly settled: boolean
  /** Fastify's error handler is answering: the reply it makes is never stored. */
  errored: boolean
  /** Gives the run its response. */
  settle(response: HttpResponse): void
  /** Fails the run. */
  fail(error: unknown): void
}

/** A run not started yet: `start` only records that the cache asked for it. */
export function handlerRun(): HandlerRun {
  let isStarted = false
  let settled = false
  let onStart!: (validators: Validators | undefined) => void
  let resolve!: (response: HttpResponse) => void
  let reject!: (error: unknown) => void
  const started = new Promise<Validators | undefined>((r) => {
    onStart = r
  })
  const response = new Promise<HttpResponse>((res, rej) => {
    resolve = res
    reject = rej
  })
  return {
    start(validators) {
      if (!isStarted) {
        isStarted = true
        onStart(validators)
      }
      return response
    },
    started,
    get isStarted() {
      return isStarted
    },
    get settled() {
      return settled
    },
    errored: false,
    settle(value) {
      settled = true
      resolve(value)
    },
    fail(error) {
      settled = true
      reject(error)
    },
  }
}
