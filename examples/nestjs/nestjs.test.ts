import { describe, expect, it } from 'vitest'
import { serveExample } from '../example-server.js'
import { describeProductApi } from '../product-api-checks.js'

describe.each(['express', 'fastify'])('examples | nestjs (%s)', (platform) => {
  const server = serveExample('./nestjs/server.ts', `nest-example-${platform}`, {
    PLATFORM: platform,
  })

  it('runs on the platform it was asked for', () => {
    expect(server.output).toContain(`platform: ${platform}`)
  })

  describeProductApi(`product API on ${platform}`, {
    url: () => server.url,
    hitHeaders: { 'cache-control': 'public, max-age=60, stale-while-revalidate=300' },
  })

  it('never stores an exception: each request reaches the exception filters', async () => {
    const flaky = await Promise.all([1, 2].map(() => fetch(`${server.url}/flaky`)))
    expect(flaky.map((reply) => reply.status)).toEqual([503, 503])
    const again = await fetch(`${server.url}/flaky`)
    expect([again.status, again.headers.get('x-cache')]).toEqual([503, null])
  })
})
