// Which stored response answers which request: the key (path, sorted query), Vary (RFC 9111
// §4.1), HEAD and GET, and bodies that come back byte for byte.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { HttpAdapter } from '../harness.js'
import { serveScenario } from '../harness.js'

/** Registers the key, Vary and body scenarios for `adapter`. */
export function describeVariants(adapter: HttpAdapter): void {
  describe(`${adapter.name} | keys and Vary (RFC 9111 §4.1)`, () => {
    it('keys by the path and the query with its parameters sorted', async () => {
      const site = await serveScenario(adapter, (request, run) => ({
        headers: { 'Cache-Control': 'max-age=60' },
        body: `${request.url} ${run}`,
      }))
      await site.send('/q?b=2&a=1')
      const sorted = await site.send('/q?a=1&b=2')
      expect([sorted.headers['x-cache'], sorted.text]).toEqual(['HIT', '/q?b=2&a=1 1'])
      expect((await site.send('/q?a=1&b=3')).text).toBe('/q?a=1&b=3 2')
      expect((await site.send('/other?a=1&b=2')).text).toBe('/other?a=1&b=2 3')
    })

    it('keys `Vary: Accept-Language` per language', async () => {
      const site = await serveScenario(adapter, (request, run) => ({
        headers: { 'Cache-Control': 'max-age=60', Vary: 'Accept-Language' },
        body: `${request.headers['accept-language']} ${run}`,
      }))
      const ask = (language: string) =>
        site.send('/r', { headers: { 'Accept-Language': language } })
      await ask('en')
      await ask('fr')
      const en = await ask('en')
      const fr = await ask('fr')
      expect([en.headers['x-cache'], en.text]).toEqual(['HIT', 'en 1'])
      expect([fr.headers['x-cache'], fr.text]).toEqual(['HIT', 'fr 2'])
      expect(site.runs).toBe(2)
    })

    it.each([
      ['Vary: *', '*'],
      ['Vary: , * (a list with an empty element)', ', *'],
    ])('answers %s with the response, and never reuses it', async (_, vary) => {
      const site = await serveScenario(adapter, (_request, run) => ({
        headers: { 'Cache-Control': 'max-age=60', Vary: vary },
        body: `body ${run}`,
      }))
      const first = await site.send()
      const second = await site.send()
      expect([first.status, first.text, second.status, second.text]).toEqual([
        200,
        'body 1',
        200,
        'body 2',
      ])
    })
  })

  describe(`${adapter.name} | HEAD`, () => {
    it('answers a GET after a HEAD with the full body, and a later HEAD from the stored GET', async () => {
      const site = await serveScenario(adapter, () => ({
        headers: { 'Cache-Control': 'max-age=60', 'Content-Type': 'text/plain' },
        body: 'the whole document',
      }))
      const head = await site.send('/doc', { method: 'HEAD' })
      expect([head.status, head.body.length]).toEqual([200, 0])
      const get = await site.send('/doc')
      expect(get.text).toBe('the whole document')
      const cached = await site.send('/doc')
      expect([cached.headers['x-cache'], cached.text]).toEqual(['HIT', 'the whole document'])
      const cachedHead = await site.send('/doc', { method: 'HEAD' })
      expect(cachedHead.headers['x-cache']).toBe('HIT')
      // RFC 9110 §9.3.2: a HEAD answer may leave out Content-Length (API Gateway computes it from
      // the empty body a function returns, so Lambda's has none); if it is there, it is the GET's.
      expect([undefined, '18']).toContain(cachedHead.headers['content-length'])
      expect(cachedHead.body.length).toBe(0)
    })
  })

  describe(`${adapter.name} | bodies`, () => {
    it('gives a binary body back byte for byte, on a miss and on a hit', async () => {
      const bytes = randomBytes(64 * 1024)
      const site = await serveScenario(adapter, () => ({
        headers: { 'Cache-Control': 'max-age=60', 'Content-Type': 'application/octet-stream' },
        body: bytes,
      }))
      const miss = await site.send('/bin')
      const hit = await site.send('/bin')
      expect(hit.headers['x-cache']).toBe('HIT')
      expect(miss.body.equals(bytes)).toBe(true)
      expect(hit.body.equals(bytes)).toBe(true)
    })

    it('gives a streamed body back byte for byte, on a miss and on a hit', async () => {
      const chunks = Array.from({ length: 8 }, () => randomBytes(16 * 1024))
      const bytes = Buffer.concat(chunks)
      const site = await serveScenario(adapter, () => ({
        headers: { 'Cache-Control': 'max-age=60', 'Content-Type': 'application/octet-stream' },
        chunks,
      }))
      const miss = await site.send('/stream')
      const hit = await site.send('/stream')
      expect([miss.status, hit.headers['x-cache'], site.runs]).toEqual([200, 'HIT', 1])
      expect(miss.body.equals(bytes)).toBe(true)
      expect(hit.body.equals(bytes)).toBe(true)
    })

    it('gives UTF-8 text back unchanged, and an empty 200 as an empty 200', async () => {
      const site = await serveScenario(adapter, (request) => ({
        headers: { 'Cache-Control': 'max-age=60', 'Content-Type': 'text/plain; charset=utf-8' },
        body: request.url === '/empty' ? '' : 'ünïcødé ✓ 🚀',
      }))
      await site.send('/text')
      const text = await site.send('/text')
      expect([text.headers['x-cache'], text.text]).toEqual(['HIT', 'ünïcødé ✓ 🚀'])
      await site.send('/empty')
      const empty = await site.send('/empty')
      expect([empty.status, empty.headers['x-cache'], empty.body.length]).toEqual([200, 'HIT', 0])
    })
  })
}
