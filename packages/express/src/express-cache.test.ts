import { createCache } from '@cacheguard/core'
import { lockGuard } from '@cacheguard/lock'
import { redisStore } from '@cacheguard/redis'
import { Redlock } from '@sesamecare-oss/redlock'
import type { NextFunction, Request, Response } from 'express'
import { describe, expect, it } from 'vitest'
import { cachedApps } from '../test/app.js'
import { express } from '../test/express.js'
import { listen, oneSocket, send, sleep } from '../test/server.js'
import { expressCache } from './index.js'

const { redis, prefix, cachedApp } = cachedApps('express')

describe('express cache | protection', () => {
  it('runs a 200 ms handler once for 100 concurrent cold GETs, and all get the same body', async () => {
    const app = cachedApp()
    let runs = 0
    app.get('/hot', async (_req, res) => {
      const n = ++runs
      await sleep(200)
      res.json({ n })
    })
    const url = await listen(app)
    const replies = await Promise.all(Array.from({ length: 100 }, () => send(`${url}/hot`)))
    expect(runs).toBe(1)
    expect(new Set(replies.map((r) => `${r.status} ${r.body}`))).toEqual(new Set(['200 {"n":1}']))
    // The request that ran it is the MISS; the ones that waited for it are served what it stored.
    expect(replies.filter((r) => r.headers['x-cache'] === 'MISS')).toHaveLength(1)
    const again = await send(`${url}/hot`)
    expect(again.headers['x-cache']).toBe('HIT')
    expect(again.body.toString()).toBe('{"n":1}')
    expect(runs).toBe(1)
  })

  it('runs the handler once across two app instances sharing Redis with lockGuard', async () => {
    const shared = `${prefix}fleet:`
    let runs = 0
    const instance = async () => {
      const guard = lockGuard({ redlock: new Redlock([redis]), prefix: `${shared}lock:` })
      const cache = createCache({ store: redisStore(redis, { prefix: shared }), guards: [guard] })
      const app = express()
      app.get('/fleet', expressCache(cache), async (_req, res) => {
        const n = ++runs
        await sleep(200)
        res.send(`run ${n}`)
      })
      return listen(app)
    }
    const urls = await Promise.all([instance(), instance()])
    const replies = await Promise.all(
      urls.flatMap((url) => Array.from({ length: 20 }, () => send(`${url}/fleet`))),
    )
    expect(runs).toBe(1)
    expect(new Set(replies.map((r) => r.body.toString()))).toEqual(new Set(['run 1']))
  })

  it.each([
    ['throws', () => Promise.reject(new Error('boom'))],
    ['answers 500', (res: Response) => res.status(500).send('boom')],
  ])(
    'stores nothing from a handler that %s, and its waiters get its error, not an empty 200',
    async (_, fail) => {
      const app = cachedApp()
      let runs = 0
      app.get('/fails', async (_req, res) => {
        runs++
        await sleep(100)
        await fail(res)
      })
      const url = await listen(app)
      const replies = await Promise.all([1, 2, 3].map(() => send(`${url}/fails`)))
      expect(runs).toBe(1)
      for (const reply of replies) {
        expect(reply.status).toBe(500)
        expect(reply.body.length).toBeGreaterThan(0)
      }
      await send(`${url}/fails`)
      expect(runs).toBe(2)
    },
  )

  it("routes next(err) through Express's error handler, whose answer the waiters share", async () => {
    const app = cachedApp()
    let runs = 0
    app.get('/next-error', async (_req, _res, next) => {
      runs++
      await sleep(50)
      next(Object.assign(new Error('db down'), { status: 503 }))
    })
    app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(503).json({ error: error.message })
    })
    const url = await listen(app)
    const replies = await Promise.all([1, 2].map(() => send(`${url}/next-error`)))
    expect(runs).toBe(1)
    for (const reply of replies) {
      expect(reply.status).toBe(503)
      expect(JSON.parse(reply.body.toString())).toEqual({ error: 'db down' })
    }
  })

  it('answers 504 to the waiters of a handler that never answers, and the URL works afterwards', async () => {
    const app = cachedApp({ handlerTimeout: 150 })
    let runs = 0
    app.get('/stuck', (_req, res) => {
      // The first run hangs, then answers late; the ones after it answer at once.
      if (++runs === 1) setTimeout(() => res.send('late'), 400)
      else res.send('prompt')
    })
    const url = await listen(app)
    const agent = oneSocket()
    const replies = await Promise.all([send(`${url}/stuck`, { agent }), send(`${url}/stuck`)])
    expect(replies.map((r) => r.status)).toEqual([504, 504])
    expect(runs).toBe(1)
    // The same connection carries the next request: the late write never came down it.
    await sleep(400)
    const after = await send(`${url}/stuck`, { agent })
    expect(after.status).toBe(200)
    // The late answer filled the cache.
    expect(after.body.toString()).toBe('late')
    expect(after.headers['x-cache']).toBe('HIT')
  })
})

describe('express cache | keys', () => {
  it('gives /Aa and /BB (a 32-bit hash collision) different bodies', async () => {
    const app = cachedApp()
    app.get('/:name', (req, res) => {
      res.send(`name ${req.params.name}`)
    })
    const url = await listen(app)
    for (let i = 0; i < 2; i++) {
      expect((await send(`${url}/Aa`)).body.toString()).toBe('name Aa')
      expect((await send(`${url}/BB`)).body.toString()).toBe('name BB')
    }
  })

  it('keys by Accept-Language when the response varies on it', async () => {
    const app = cachedApp()
    let runs = 0
    app.get('/hello', (req, res) => {
      runs++
      res.vary('Accept-Language').send(req.acceptsLanguages('fr') ? 'bonjour' : 'hello')
    })
    const url = await listen(app)
    const ask = (language: string) =>
      send(`${url}/hello`, { headers: { 'accept-language': language } })
    for (let i = 0; i < 2; i++) {
      expect((await ask('fr')).body.toString()).toBe('bonjour')
      expect((await ask('en')).body.toString()).toBe('hello')
    }
    expect(runs).toBe(2)
    expect((await ask('fr')).headers['x-cache']).toBe('HIT')
  })

  it('answers a GET after a HEAD with the full body', async () => {
    const app = cachedApp()
    app.get('/doc', (_req, res) => {
      res.send('the whole document')
    })
    const url = await listen(app)
    const head = await send(`${url}/doc`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.body.length).toBe(0)
    expect(head.headers['content-length']).toBe('18')
    const get = await send(`${url}/doc`)
    expect(get.body.toString()).toBe('the whole document')
    const cached = await send(`${url}/doc`)
    expect(cached.headers['x-cache']).toBe('HIT')
    expect(cached.body.toString()).toBe('the whole document')
    const cachedHead = await send(`${url}/doc`, { method: 'HEAD' })
    expect(cachedHead.headers['x-cache']).toBe('HIT')
    expect(cachedHead.headers['content-length']).toBe('18')
    expect(cachedHead.body.length).toBe(0)
  })

  it('drops the cached GET of a URL after a successful POST to it', async () => {
    const app = cachedApp()
    let version = 1
    app.get('/item', (_req, res) => {
      res.send(`version ${version}`)
    })
    app.post('/item', (_req, res) => {
      version++
      res.status(201).send('ok')
    })
    const url = await listen(app)
    await send(`${url}/item`)
    expect((await send(`${url}/item`)).headers['x-cache']).toBe('HIT')
    expect((await send(`${url}/item`, { method: 'POST' })).status).toBe(201)
    const after = await send(`${url}/item`)
    expect(after.headers['x-cache']).toBe('MISS')
    expect(after.body.toString()).toBe('version 2')
  })

  it('drops the cached GET of a URL, mounted under a prefix, with invalidate()', async () => {
    const app = express()
    const cached = expressCache(createCache({ store: redisStore(redis, { prefix }) }))
    const router = express.Router()
    let version = 1
    router.get('/item', (_req, res) => {
      res.send(`version ${version}`)
    })
    app.use('/api', cached, router)
    const url = `${await listen(app)}/api/item`
    await send(url)
    version++
    expect((await send(url)).body.toString()).toBe('version 1')
    await cached.invalidate('/api/item')
    expect((await send(url)).body.toString()).toBe('version 2')
  })
})
