// fetchCache's own cases: what a web-standard handler can do that the shared scenario suite
// (scenarios.test.ts, over sockets) does not: stream its body, take more arguments than the
// request, read a POST body, answer something that is not a Response, or throw.
import { createCache, memoryStore } from '@cacheguard/core'
import { describe, expect, it } from 'vitest'
import { fetchCache } from './fetch-cache.js'

const cacheable = { 'cache-control': 'max-age=60' }
const get = (path: string, init: RequestInit = {}) => new Request(`http://app.test${path}`, init)

/** A body of `size` bytes of every value, sent in chunks of 1,000 by a stream. */
function streamOf(size: number): { bytes: Uint8Array; stream: () => ReadableStream<Uint8Array> } {
  const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 7) % 256)
  const stream = () =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < size; at += 1000) controller.enqueue(bytes.slice(at, at + 1000))
        controller.close()
      },
    })
  return { bytes, stream }
}

describe('fetchCache', () => {
  it('stores a streamed binary body and gives it back byte for byte, on a miss and on a hit', async () => {
    const { bytes, stream } = streamOf(200_000)
    let runs = 0
    const handler = fetchCache(createCache({ store: memoryStore() }), () => {
      runs++
      return new Response(stream(), { headers: { ...cacheable, 'content-type': 'image/png' } })
    })
    const miss = await handler(get('/image'))
    expect(new Uint8Array(await miss.arrayBuffer())).toEqual(bytes)
    expect(miss.headers.get('x-cache')).toBe('MISS')
    const hit = await handler(get('/image'))
    expect(new Uint8Array(await hit.arrayBuffer())).toEqual(bytes)
    expect(hit.headers.get('x-cache')).toBe('HIT')
    expect(hit.headers.get('content-type')).toBe('image/png')
    expect(runs).toBe(1)
  })

  it('drops the Transfer-Encoding of a streamed response: the body is whole, the server frames it', async () => {
    const { bytes, stream } = streamOf(3000)
    const handler = fetchCache(
      createCache({ store: memoryStore() }),
      () => new Response(stream(), { headers: { ...cacheable, 'transfer-encoding': 'chunked' } }),
    )
    for (const expected of ['MISS', 'HIT']) {
      const reply = await handler(get('/chunked'))
      expect(reply.headers.get('x-cache')).toBe(expected)
      expect(reply.headers.has('transfer-encoding')).toBe(false)
      expect(new Uint8Array(await reply.arrayBuffer())).toEqual(bytes)
    }
  })

  it('streams a miss to the client while the handler still produces it, and stores it once it ends', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let runs = 0
    const handler = fetchCache(createCache({ store: memoryStore() }), () => {
      runs++
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode('first;'))
          // The rest comes only once the client has the first piece: a cache that waited for the
          // whole body would never send it.
          await gate
          controller.enqueue(new TextEncoder().encode('last'))
          controller.close()
        },
      })
      return new Response(body, { headers: { ...cacheable, 'cache-tag': 'page' } })
    })
    const miss = await handler(get('/live'))
    expect([miss.headers.get('x-cache'), miss.headers.get('cache-tag')]).toEqual(['MISS', null])
    const reader = miss.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toBe('first;')
    // A request meanwhile waits for that run, and gets the whole body from the cache.
    const waiter = handler(get('/live'))
    release()
    let rest = ''
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += new TextDecoder().decode(chunk.value)
    }
    expect(rest).toBe('last')
    expect(await (await waiter).text()).toBe('first;last')
    const hit = await handler(get('/live'))
    expect([hit.headers.get('x-cache'), await hit.text()]).toEqual(['HIT', 'first;last'])
    expect(runs).toBe(1)
  })

  it('streams a body past maxBodyBytes on to the client whole, stores none of it, and its waiters run their own', async () => {
    const { bytes, stream } = streamOf(5000)
    let runs = 0
    const handler = fetchCache(
      createCache({ store: memoryStore() }),
      () => {
        runs++
        return new Response(stream(), { headers: cacheable })
      },
      { maxBodyBytes: 4096 },
    )
    const check = async (reply: Response) => {
      expect(new Uint8Array(await reply.arrayBuffer())).toEqual(bytes)
      expect(reply.headers.has('cacheguard-cache-control')).toBe(false)
    }
    for (const reply of await Promise.all([1, 2, 3].map(() => handler(get('/huge'))))) {
      await check(reply)
    }
    expect(runs).toBe(3)
    // Then one more, once those have ended: nothing was stored, so it runs the handler too.
    await check(await handler(get('/huge')))
    expect(runs).toBe(4)
  })

  it('passes the arguments after the request through (a runtime context, route params)', async () => {
    const handler = fetchCache(
      createCache({ store: memoryStore() }),
      (_request: Request, context: { params: { id: string } }) =>
        Response.json({ id: context.params.id }, { headers: cacheable }),
    )
    const reply = await handler(get('/users/7'), { params: { id: '7' } })
    expect(await reply.json()).toEqual({ id: '7' })
  })

  it('gives a POST its body, and drops the cached GET of its URL when it succeeds', async () => {
    let version = 1
    const handler = fetchCache(createCache({ store: memoryStore() }), async (request) => {
      if (request.method === 'POST') {
        version = Number(await request.text())
        return new Response(null, { status: 204 })
      }
      return new Response(`v${version}`, { headers: cacheable })
    })
    expect(await (await handler(get('/doc'))).text()).toBe('v1')
    expect((await handler(get('/doc', { method: 'POST', body: '2' }))).status).toBe(204)
    expect(await (await handler(get('/doc'))).text()).toBe('v2')
  })

  it('answers a HEAD with the headers and no body', async () => {
    const handler = fetchCache(
      createCache({ store: memoryStore() }),
      () => new Response('hello', { headers: cacheable }),
    )
    // A miss streams: it is stored by the time its body has been read to the end.
    expect(await (await handler(get('/h'))).text()).toBe('hello')
    const head = await handler(get('/h', { method: 'HEAD' }))
    expect(head.status).toBe(200)
    expect(head.headers.get('x-cache')).toBe('HIT')
    expect(await head.text()).toBe('')
  })

  it('drops a URL with invalidate()', async () => {
    let runs = 0
    const handler = fetchCache(createCache({ store: memoryStore() }), () => {
      runs++
      return new Response(`run ${runs}`, { headers: cacheable })
    })
    await handler(get('/page?b=2&a=1'))
    await handler.invalidate('/page?a=1&b=2')
    expect(await (await handler(get('/page?b=2&a=1'))).text()).toBe('run 2')
  })

  describe('bad input and failures', () => {
    it('refuses a handler that is not a function, and bad options, when it wraps', () => {
      const cache = createCache({ store: memoryStore() })
      expect(() => fetchCache(cache, 'handler' as never)).toThrow(
        'Expected `handler` to be a function of a Request, got `handler` (string)',
      )
      expect(() => fetchCache(cache, () => new Response(), { maxBodyBytes: -1 })).toThrow(TypeError)
    })

    it('rejects a call without a Request', async () => {
      const handler = fetchCache(createCache({ store: memoryStore() }), () => new Response())
      await expect(handler('/path' as never)).rejects.toThrow('Expected a Request, got string')
    })

    it('rejects with the error of a handler that throws, and stores nothing', async () => {
      let fail = true
      const handler = fetchCache(createCache({ store: memoryStore() }), () => {
        if (fail) throw new Error('database down')
        return new Response('ok', { headers: cacheable })
      })
      await expect(handler(get('/x'))).rejects.toThrow('database down')
      fail = false
      const reply = await handler(get('/x'))
      expect(reply.headers.get('x-cache')).toBe('MISS')
    })

    it('rejects with a TypeError when the handler answers something that is not a Response', async () => {
      const handler = fetchCache(createCache({ store: memoryStore() }), (() => ({
        status: 200,
        body: 'not a Response',
      })) as never)
      await expect(handler(get('/x'))).rejects.toThrow(
        'Expected the handler to resolve a Response, got object',
      )
    })
  })
})
