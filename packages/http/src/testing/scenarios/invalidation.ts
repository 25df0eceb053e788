// Invalidation (RFC 9111 §4.4): a successful request with a method not known to be safe drops
// the stored GET of its URL, and of its Location and Content-Location on the same origin.
import { describe, expect, it } from 'vitest'
import type { HttpAdapter } from '../harness.js'
import { serveScenario } from '../harness.js'

/** Registers the invalidation scenarios for `adapter`. */
export function describeInvalidation(adapter: HttpAdapter): void {
  /** `/item`, whose GET answers `version <n>`; the methods in `bumping` add one to n. */
  const item = (bumping: string[], status = 200) => {
    let version = 1
    return serveScenario(adapter, (request) => {
      if (request.method === 'GET') return { body: `version ${version}` }
      if (bumping.includes(request.method)) version++
      return { status, body: 'ok' }
    })
  }

  describe(`${adapter.name} | invalidation (RFC 9111 §4.4)`, () => {
    it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'M-SEARCH'])(
      'drops the cached GET of a URL after a successful %s to it',
      async (method) => {
        const site = await item([method], method === 'POST' ? 201 : 200)
        await site.send('/item')
        expect((await site.send('/item')).headers['x-cache']).toBe('HIT')
        expect((await site.send('/item', { method })).status).toBe(method === 'POST' ? 201 : 200)
        const after = await site.send('/item')
        expect([after.text, after.headers['x-cache']]).toEqual(['version 2', 'MISS'])
      },
    )

    it('leaves a cached GET alone after OPTIONS, a safe method', async () => {
      const site = await item(['OPTIONS'])
      await site.send('/item')
      await site.send('/item', { method: 'OPTIONS' })
      const after = await site.send('/item')
      expect([after.text, after.headers['x-cache']]).toEqual(['version 1', 'HIT'])
    })

    it('leaves a cached GET alone after an unsafe request that failed', async () => {
      const site = await item(['POST'], 500)
      await site.send('/item')
      expect((await site.send('/item', { method: 'POST' })).status).toBe(500)
      expect((await site.send('/item')).headers['x-cache']).toBe('HIT')
    })

    it('drops the URLs of Location and Content-Location on the same origin, not on another', async () => {
      const versions: Record<string, number> = { a: 1, b: 1, c: 1 }
      const site = await serveScenario(adapter, (request) => {
        if (request.url === '/things') {
          for (const id of Object.keys(versions)) versions[id] = (versions[id] ?? 0) + 1
          return {
            status: 201,
            headers: {
              Location: '/things/a',
              'Content-Location': `http://${request.headers.host}/things/b`,
            },
            body: 'created',
          }
        }
        if (request.url === '/elsewhere') {
          return {
            status: 201,
            headers: { Location: 'http://other.example/things/c' },
            body: 'created',
          }
        }
        const id = request.url.slice('/things/'.length)
        return { headers: { 'Cache-Control': 'max-age=60' }, body: `${id} v${versions[id]}` }
      })
      for (const id of ['a', 'b', 'c']) await site.send(`/things/${id}`)
      await site.send('/elsewhere', { method: 'POST' })
      expect((await site.send('/things/c')).headers['x-cache']).toBe('HIT')
      await site.send('/things', { method: 'POST' })
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => site.send(`/things/${id}`)))
      expect([a?.text, a?.headers['x-cache']]).toEqual(['a v2', 'MISS'])
      expect([b?.text, b?.headers['x-cache']]).toEqual(['b v2', 'MISS'])
      expect([c?.text, c?.headers['x-cache']]).toEqual(['c v1', 'HIT'])
    })

    it("refetches every response tagged user:42 (Cache-Tag, or the tags option) after deleteTags(['user:42'])", async () => {
      const versions = { user: 1 }
      const site = await serveScenario(
        adapter,
        (request) => ({
          headers: {
            'Cache-Control': 'max-age=600',
            ...(request.url.startsWith('/users/42') ? { 'Cache-Tag': 'user:42, users' } : {}),
          },
          body: `${request.url} v${versions.user}`,
        }),
        { tags: (request) => (request.url === '/teams/7/members' ? ['user:42', 'team:7'] : []) },
      )
      const paths = ['/users/42', '/users/42/posts', '/teams/7/members', '/users/43']
      for (const path of paths) await site.send(path)
      const hits = await Promise.all(paths.map((path) => site.send(path)))
      expect(hits.map((reply) => reply.headers['x-cache'])).toEqual(['HIT', 'HIT', 'HIT', 'HIT'])
      // The tags speak to this cache alone: they never leave.
      for (const reply of hits) expect(reply.headers['cache-tag']).toBeUndefined()
      versions.user = 2
      await site.cache.deleteTags(['user:42'])
      const after = await Promise.all(paths.map((path) => site.send(path)))
      expect(after.map((reply) => [reply.headers['x-cache'], reply.text])).toEqual([
        ['MISS', '/users/42 v2'],
        ['MISS', '/users/42/posts v2'],
        ['MISS', '/teams/7/members v2'],
        ['HIT', '/users/43 v1'],
      ])
    })

    it('serves, and stores for no one, a response whose Cache-Tag the cache refuses', async () => {
      const site = await serveScenario(adapter, (_request, run) => ({
        headers: { 'Cache-Control': 'max-age=600', 'Cache-Tag': 'x'.repeat(300) },
        body: `body ${run}`,
      }))
      const first = await site.send()
      const second = await site.send()
      expect([first.status, first.text, second.text]).toEqual([200, 'body 1', 'body 2'])
    })

    it('invalidates nothing with invalidateOnWrite: false', async () => {
      let version = 1
      const site = await serveScenario(
        adapter,
        (request) => {
          if (request.method !== 'GET') version++
          return { body: `version ${version}` }
        },
        { invalidateOnWrite: false },
      )
      await site.send('/item')
      await site.send('/item', { method: 'POST' })
      const after = await site.send('/item')
      expect([after.text, after.headers['x-cache']]).toEqual(['version 1', 'HIT'])
    })
  })
}
