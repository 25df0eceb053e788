import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectRedis, redisUrl, uniquePrefix } from '../../test/helpers/redis.js'

const redis = connectRedis()
const prefix = uniquePrefix('koa-example')
let child: ChildProcess
let base = ''

beforeAll(async () => {
  const server = fileURLToPath(new URL('./server.ts', import.meta.url))
  child = spawn(process.execPath, ['--import', 'tsx', '--conditions=cacheguard-source', server], {
    env: { ...process.env, REDIS_URL: redisUrl(), CACHE_PREFIX: prefix, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  base = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      if (url) resolve(url)
    })
    child.once('exit', (code) => reject(new Error(`server.ts exited with ${code}`)))
  })
})

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

const queries = async () =>
  ((await (await fetch(`${base}/stats`)).json()) as { queries: number }).queries

describe('examples | koa-redis', () => {
  it('answers 50 concurrent cold GETs with one database query, then from Redis', async () => {
    const replies = await Promise.all(Array.from({ length: 50 }, () => fetch(`${base}/products/1`)))
    const bodies = await Promise.all(replies.map((r) => r.json()))
    expect(new Set(bodies.map((b) => JSON.stringify(b)))).toEqual(
      new Set([JSON.stringify({ id: '1', name: 'Teapot', price: 25 })]),
    )
    expect(await queries()).toBe(1)
    const hit = await fetch(`${base}/products/1`)
    expect([hit.headers.get('x-cache'), hit.headers.get('cache-control')]).toEqual([
      'HIT',
      'public, max-age=60',
    ])
    expect(await queries()).toBe(1)
  })

  it('drops the cached product when a PUT to it succeeds', async () => {
    const put = await fetch(`${base}/products/1`, {
      method: 'PUT',
      body: JSON.stringify({ name: 'Teapot XL', price: 30 }),
    })
    expect(put.status).toBe(200)
    const after = await fetch(`${base}/products/1`)
    expect(after.headers.get('x-cache')).toBe('MISS')
    expect(await after.json()).toEqual({ id: '1', name: 'Teapot XL', price: 30 })
  })

  it('keeps a 404 for an unknown product, so repeated misses spare the database', async () => {
    const before = await queries()
    const first = await fetch(`${base}/products/404`)
    const second = await fetch(`${base}/products/404`)
    expect([first.status, second.status, second.headers.get('x-cache')]).toEqual([404, 404, 'HIT'])
    expect(await queries()).toBe(before + 1)
  })

  it('refetches the catalog, tagged with every product, after a PUT to one of them', async () => {
    const first = await fetch(`${base}/catalog`)
    expect(first.headers.get('cache-tag')).toBeNull()
    await first.arrayBuffer()
    expect((await fetch(`${base}/catalog`)).headers.get('x-cache')).toBe('HIT')
    await fetch(`${base}/products/2`, {
      method: 'PUT',
      body: JSON.stringify({ name: 'Kettle', price: 45 }),
    })
    const after = await fetch(`${base}/catalog`)
    expect(after.headers.get('x-cache')).toBe('MISS')
    const products = (await after.json()) as Array<{ id: string; price: number }>
    expect(products.find((p) => p.id === '2')?.price).toBe(45)
  })
})
