import { type OutgoingHttpHeaders, OutgoingMessage, type ServerResponse } from 'node:http'
import type { HttpResponse } from '@cacheguard/http'
import { type HeaderValue, headerView } from './header-view.js'
import { captureLifecycle } from './lifecycle.js'

/** The status and headers a response had when the middleware was entered (set by middleware before it). */
export interface Entry {
  status: number
  headers: OutgoingHttpHeaders
}

/** A response whose handler writes are buffered instead of sent: see `captureResponse`. */
export interface Capture {
  /** The handler's complete response, once it ends it (a `destroy` gives 502); never rejects. */
  readonly response: Promise<HttpResponse>
  /** The reason phrase the handler set, if any. */
  readonly statusMessage: string | undefined
  /** Names of headers set before the middleware that the handler removed. */
  readonly removed: ReadonlySet<string>
  /**
   * Runs `send` with the response's methods as they were before the capture (middleware after this
   * one, such as `compression`, may have wrapped them since); from then on the handler's calls
   * never reach the real response.
   */
  sendWith(send: (out: Out) => void): void
}

/** The methods the adapter sends with. */
export interface Out {
  setHeader(name: string, value: string | readonly string[]): void
  removeHeader(name: string): void
  writeHead(status: number, reason: string): void
  end(body?: Uint8Array): void
}

type Method = (this: ServerResponse, ...args: unknown[]) => unknown

/**
 * Who the response's methods and state serve. `capture`: the handler, on a buffered copy.
 * `send`: the adapter (and Node's and other middleware's own wrappers it calls), on the real
 * response. `done`: nobody; the response was sent and the handler has ended, late calls are
 * dropped and reads see the real response.
 */
type Mode = 'capture' | 'send' | 'done'

const realGetter = (name: 'headersSent' | 'writableEnded' | 'writableFinished') =>
  Object.getOwnPropertyDescriptor(OutgoingMessage.prototype, name)?.get as (
    this: unknown,
  ) => boolean

const REAL = {
  headersSent: realGetter('headersSent'),
  writableEnded: realGetter('writableEnded'),
  writableFinished: realGetter('writableFinished'),
}

/**
 * Makes `res` buffer what the handler writes into an `HttpResponse` instead of sending it. Its
 * methods and state (`statusCode`, `headersSent`, ...) are replaced on this one instance, so
 * Express's `send`, `json`, `sendFile`, streams piped into it and middleware that wraps it all
 * write to the buffer. The adapter sends the cache's answer through the original methods
 * (`sendWith`), and since the handler may still be running then (a stale-while-revalidate
 * refresh, or a handler past `handlerTimeout`), its later calls keep going to the buffer, or
 * nowhere, and never throw or reach the socket.
 */
export function captureResponse(res: ServerResponse, entry: Entry): Capture {
  let mode: Mode = 'capture'
  let sent = false
  let status = entry.status
  let statusMessage: string | undefined
  let realStatus = res.statusCode
  let realStatusMessage: string | undefined = res.statusMessage
  let headSent = false
  let ended = false
  const headers = headerView(entry.headers)
  const chunks: Buffer[] = []
  let resolve!: (response: HttpResponse) => void
  const response = new Promise<HttpResponse>((r) => {
    resolve = r
  })

  /** Runs a header change, unless the head is written: Node throws then, a late handler does not. */
  const change =
    (apply: (name: string, value: unknown) => void) =>
    (name: unknown, value: unknown): ServerResponse => {
      if (headSent) {
        // A handler that already answered (timed out, or refreshing in the background) gets no
        // throw: in Express that would end in finalhandler destroying the client's socket.
        if (sent) return res
        throw Object.assign(new Error('Cannot set headers after they are sent to the client'), {
          code: 'ERR_HTTP_HEADERS_SENT',
        })
      }
      apply(String(name), value)
      return res
    }

  const setStatus = (code: unknown) => {
    const number = Number(code)
    if (!Number.isInteger(number) || number < 100 || number > 999) {
      throw Object.assign(new RangeError(`Invalid status code: ${String(code)}`), {
        code: 'ERR_HTTP_INVALID_STATUS_CODE',
      })
    }
    status = number
  }

  const push = (chunk: unknown, encoding: unknown) => {
    if (typeof chunk === 'string') {
      chunks.push(
        Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'),
      )
    } else if (chunk instanceof Uint8Array) {
      // A copy: the caller may reuse its buffer once write returns.
      chunks.push(Buffer.from(chunk))
    } else {
      throw new TypeError(
        `The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${chunk === null ? 'null' : typeof chunk}`,
      )
    }
  }

  const finish = (result: HttpResponse) => {
    ended = true
    headSent = true
    if (sent) mode = 'done'
    resolve(result)
    ends()
  }

  /** What each method does for the handler, and what a late call returns once it is dropped. */
  const methods: Record<string, { capture: Method; dropped: (...args: unknown[]) => unknown }> = {
    setHeader: { capture: change(headers.set), dropped: () => res },
    appendHeader: { capture: change(headers.append), dropped: () => res },
    setHeaders: {
      capture: (values) => {
        const set = change(headers.set)
        for (const [name, value] of (values as Map<string, unknown>).entries()) set(name, value)
        return res
      },
      dropped: () => res,
    },
    removeHeader: {
      capture: (name) => {
        change(headers.remove)(name, undefined)
      },
      dropped: () => undefined,
    },
    getHeader: { capture: (name) => headers.get(String(name)), dropped: () => undefined },
    hasHeader: { capture: (name) => headers.get(String(name)) !== undefined, dropped: () => false },
    getHeaders: {
      capture: () => Object.assign(Object.create(null), headers.all()),
      dropped: () => ({}),
    },
    getHeaderNames: { capture: () => Object.keys(headers.all()), dropped: () => [] },
    getRawHeaderNames: { capture: () => Object.keys(headers.all()), dropped: () => [] },
    writeHead: {
      capture: (code, reason, values) => {
        // A second writeHead is dropped: compression's wrappers call it before each write.
        if (!headSent) {
          if (typeof reason === 'string') statusMessage = reason
          else values ??= reason
          setStatus(code)
          headers.setAll(values)
          headSent = true
        }
        return res
      },
      dropped: () => res,
    },
    flushHeaders: {
      capture: () => {
        headSent = true
      },
      dropped: () => undefined,
    },
    write: {
      capture: (chunk, encoding, callback) => {
        const done = typeof encoding === 'function' ? encoding : callback
        if (ended) {
          if (typeof done === 'function') process.nextTick(done, new Error('write after end'))
          return false
        }
        if (chunk === null) throw new TypeError('May not write null values to stream')
        push(chunk, encoding)
        headSent = true
        if (typeof done === 'function') process.nextTick(done)
        return true
      },
      dropped: (_chunk, encoding, callback) => {
        const done = typeof encoding === 'function' ? encoding : callback
        if (typeof done === 'function') process.nextTick(done, new Error('write after end'))
        return false
      },
    },
    end: {
      capture: (chunk, encoding, callback) => {
        const done = [chunk, encoding, callback].find((arg) => typeof arg === 'function')
        if (!ended) {
          if (chunk && typeof chunk !== 'function') push(chunk, encoding)
          finish({ status, headers: stringHeaders(headers.all()), body: Buffer.concat(chunks) })
        }
        if (typeof done === 'function') process.nextTick(done as () => void)
        return res
      },
      dropped: (chunk, encoding, callback) => {
        const done = [chunk, encoding, callback].find((arg) => typeof arg === 'function')
        if (typeof done === 'function') process.nextTick(done as () => void)
        return res
      },
    },
    destroy: {
      // The handler gave up on its response: those waiting on it get 502, nothing is stored,
      // and the client of this request loses its connection, as it would without the cache.
      capture: (error) => {
        if (ended) return res
        const empty = { 'content-length': '0' }
        finish({ status: 502, headers: empty, body: new Uint8Array(0) })
        if (!sent) original.destroy!.call(res, error)
        return res
      },
      dropped: () => res,
    },
    // Informational responses, trailers and corking would act on the socket itself.
    writeContinue: { capture: () => undefined, dropped: () => undefined },
    writeProcessing: { capture: () => undefined, dropped: () => undefined },
    writeEarlyHints: { capture: () => undefined, dropped: () => undefined },
    addTrailers: { capture: () => undefined, dropped: () => undefined },
    cork: { capture: () => undefined, dropped: () => undefined },
    uncork: { capture: () => undefined, dropped: () => undefined },
  }

  const ends = captureLifecycle(res, () => mode === 'capture')
  const target = res as unknown as Record<string, unknown>
  const original: Record<string, Method | undefined> = {}
  for (const [name, { capture, dropped }] of Object.entries(methods)) {
    const real = target[name] as Method | undefined
    if (typeof real !== 'function') continue
    original[name] = real
    const reads = name.startsWith('get') || name === 'hasHeader'
    target[name] = function (this: ServerResponse, ...args: unknown[]) {
      if (mode === 'capture') return capture.apply(this, args)
      if (mode === 'send' || reads) return real.apply(this, args)
      return dropped(...args)
    }
  }

  const state = <T>(name: string, get: () => T, set?: (value: T) => void) =>
    Object.defineProperty(res, name, {
      configurable: true,
      enumerable: true,
      get,
      set: set ?? (() => {}),
    })
  state(
    'statusCode',
    () => (mode === 'capture' ? status : realStatus),
    (value: number) => {
      if (mode === 'capture') status = value
      else if (mode === 'send') realStatus = value
    },
  )
  state(
    'statusMessage',
    () => (mode === 'capture' ? statusMessage : realStatusMessage),
    (value: string | undefined) => {
      if (mode === 'capture') statusMessage = value
      else if (mode === 'send') realStatusMessage = value
    },
  )
  state('headersSent', () => (mode === 'capture' ? headSent : REAL.headersSent.call(res)))
  state('writableEnded', () => (mode === 'capture' ? ended : REAL.writableEnded.call(res)))
  state('writableFinished', () => (mode === 'capture' ? ended : REAL.writableFinished.call(res)))

  return {
    response,
    get statusMessage() {
      return statusMessage
    },
    removed: headers.removed,
    sendWith(send) {
      mode = 'send'
      const call =
        (name: string) =>
        (...args: unknown[]) =>
          original[name]!.apply(res, args)
      try {
        send({
          setHeader: call('setHeader'),
          removeHeader: call('removeHeader'),
          writeHead: call('writeHead'),
          end: call('end'),
        })
      } finally {
        sent = true
        mode = ended ? 'done' : 'capture'
      }
    },
  }
}

/** Headers as `HttpResponse` carries them: strings, or lists of strings. */
function stringHeaders(all: Record<string, HeaderValue>): HttpResponse['headers'] {
  const out: HttpResponse['headers'] = {}
  for (const [name, value] of Object.entries(all)) {
    out[name] = Array.isArray(value) ? value.map(String) : String(value)
  }
  return out
}
