import { OverloadedError } from '../errors.js'
import type { BatchLoadContext, Loader, LoaderContext, ManyLoader } from '../options.js'
import { readBatchResult } from './batch-result.js'
import type { Core } from './core.js'

/**
 * Marks a loader whose load slot is its batch's: `load` does not cap it key by key, the batch
 * takes one slot for all its keys (`loadConcurrency` counts a `loadMany` call as one load).
 */
export const BATCHED: unique symbol = Symbol('cacheguard.batched')

/** A per-key loader that joins a `loadMany` call. */
export type BatchedLoader = Loader<unknown> & { [BATCHED]: true }

/** One key waiting in a batch for its value. */
interface Member {
  ctx: LoaderContext
  resolve(value: unknown): void
  reject(error: unknown): void
}

/**
 * The loader of one `getOrSetMany` call's keys. Each key's load runs on its own (its single
 * flight, its guards, its write); only the loader is shared: the keys whose guards let them
 * through to it, in the same turn of the event loop, join one `loadMany` call, sent on
 * `setImmediate` so that keys let through by the same batch of store or lock replies go
 * together. A key that reaches the loader later (it waited for another process's lock, which
 * died) makes a call of its own. Past `maxBatch` keys, a call is split.
 */
export function batchCall(
  core: Core,
  loadMany: ManyLoader<unknown>,
  maxBatch: number,
): BatchedLoader {
  let pending = new Map<string, Member[]>()
  let scheduled = false
  const dispatch = () => {
    scheduled = false
    const members = pending
    pending = new Map()
    if (members.size > 0) send(core, loadMany, members)
  }
  const loader = (ctx: LoaderContext) =>
    new Promise<unknown>((resolve, reject) => {
      const member = { ctx, resolve, reject }
      const waiting = pending.get(ctx.key)
      // The same key twice in one call (a refresh of one load meeting the load of another): it is
      // asked once, and both are answered.
      if (waiting === undefined) pending.set(ctx.key, [member])
      else waiting.push(member)
      if (pending.size >= maxBatch) dispatch()
      else if (!scheduled) {
        scheduled = true
        setImmediate(dispatch)
      }
    })
  return Object.assign(loader, { [BATCHED]: true as const })
}

/** Sends one `loadMany` call under the load cap, as one load, and answers each member. */
function send(core: Core, loadMany: ManyLoader<unknown>, members: Map<string, Member[]>): void {
  const { state } = core
  const keys = [...members.keys()]
  const each = (answer: (member: Member, i: number) => void) => {
    let i = 0
    for (const group of members.values()) {
      for (const member of group) answer(member, i)
      i++
    }
  }
  const call = () => callLoadMany(core, loadMany, keys, members)
  const { limiter } = state
  let running: Promise<unknown[]> | undefined
  if (limiter === undefined) running = call()
  else {
    running = limiter.run(call)
    if (running === undefined) {
      state.counters.overloaded += keys.length
      const { active, queued } = limiter
      each((member) => {
        member.reject(
          new OverloadedError(member.ctx.key, active, queued, state.counters.overdueLoads),
        )
      })
      return
    }
  }
  running.then(
    (values) => each((member, i) => member.resolve(values[i])),
    (error: unknown) => each((member) => member.reject(error)),
  )
}

async function callLoadMany(
  core: Core,
  loadMany: ManyLoader<unknown>,
  keys: string[],
  members: Map<string, Member[]>,
): Promise<unknown[]> {
  const contexts = [...members.values()].flat().map((member) => member.ctx)
  const stale = new Map<string, unknown>()
  for (const ctx of contexts) if ('stale' in ctx) stale.set(ctx.key, ctx.stale)
  let signal: AbortSignal | undefined
  const ctx: BatchLoadContext = {
    // Made when asked for: listening on every key's signal costs, and most loaders never look.
    get signal() {
      signal ??= whenAllAborted(contexts.map((c) => c.signal))
      return signal
    },
    stale,
  }
  const started = performance.now()
  const result: unknown = await loadMany([...keys], ctx)
  const { values, ignored } = readBatchResult(result, keys)
  const { emitter } = core.state
  if (emitter.has('loadMany')) {
    emitter.emit('loadMany', {
      keys,
      found: values.filter((value) => value !== null && value !== undefined).length,
      ignored,
      durationMs: performance.now() - started,
    })
  }
  return values
}

/**
 * Aborted once every key's load is (their hard timeouts passed, or their locks were lost): while
 * one key still waits for the call, it goes on.
 */
function whenAllAborted(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController()
  let left = signals.length
  for (const signal of signals) {
    const aborted = () => {
      left--
      if (left === 0) controller.abort(signal.reason)
    }
    if (signal.aborted) aborted()
    else signal.addEventListener('abort', aborted, { once: true })
  }
  return controller.signal
}
