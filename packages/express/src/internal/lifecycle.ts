import type { ServerResponse } from 'node:http'

/** The events that tell whoever writes a response that it is over. */
const LIFECYCLE = new Set<string | symbol>(['finish', 'close'])

type Listener = (...args: unknown[]) => unknown

/**
 * Gives the `finish` and `close` listeners added while `capturing()` the lifecycle of the
 * capture instead of the real response's: they are called (with `res` as `this`) when the
 * handler ends its response, and never by the real response's events. A handler refreshing in
 * the background would otherwise hear the real response finish mid-way: `compression` destroys
 * its zlib stream on `close`, `stream.pipeline` fails, and the refresh never ends. Listeners
 * added before the capture (a request logger) keep hearing the real response.
 *
 * @returns `end`, to call once the handler has ended its response.
 */
export function captureLifecycle(res: ServerResponse, capturing: () => boolean): () => void {
  const listeners = new Map<string | symbol, Array<{ listener: Listener; once: boolean }>>()
  const target = res as unknown as Record<string, Listener>
  const add = (name: string, prepend: boolean, once: boolean) => {
    const real = target[name]!
    target[name] = function (this: ServerResponse, event, listener) {
      if (!capturing() || !LIFECYCLE.has(event as string)) return real.call(this, event, listener)
      const list = listeners.get(event as string) ?? []
      const entry = { listener: listener as Listener, once }
      if (prepend) list.unshift(entry)
      else list.push(entry)
      listeners.set(event as string, list)
      return this
    }
  }
  add('on', false, false)
  add('addListener', false, false)
  add('prependListener', true, false)
  add('once', false, true)
  add('prependOnceListener', true, true)
  for (const name of ['off', 'removeListener']) {
    const real = target[name]!
    target[name] = function (this: ServerResponse, event, listener) {
      const list = listeners.get(event as string)
      const at = list?.findIndex((entry) => entry.listener === listener) ?? -1
      if (at !== -1) list!.splice(at, 1)
      return real.call(this, event, listener)
    }
  }
  return () =>
    process.nextTick(() => {
      for (const event of LIFECYCLE) {
        for (const { listener } of listeners.get(event) ?? []) listener.call(res)
        listeners.delete(event)
      }
    })
}
