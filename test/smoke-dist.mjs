// Imports the BUILT packages (dist/) under plain Node's ESM loader, without the source condition,
// and exercises them once: a package can import fine under vitest and fail here.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { bloomGuard, memoryBloom } from '@cacheguard/bloom'
import { CacheGuardError, createCache, memoryStore } from '@cacheguard/core'
import { devalueSerializer } from '@cacheguard/core/serializers'
import { lockGuard } from '@cacheguard/lock'
import { redisStore } from '@cacheguard/redis'
import { warmup } from '@cacheguard/warmup'
import { Redlock } from '@sesamecare-oss/redlock'
import { Redis } from 'ioredis'

const memory = createCache({ store: memoryStore({ policy: 'lfu' }) })
let loads = 0
const load = async () => {
  loads++
  return { id: 1 }
}
const values = await Promise.all(Array.from({ length: 100 }, () => memory.getOrSet('user:1', load)))
assert.equal(loads, 1)
assert.deepEqual(values[99], { id: 1 })
await assert.rejects(memory.getOrSet('', load), (error) => error instanceof CacheGuardError)

// The serializers subpath, and devalue (its dependency) under Node's own loader.
const rich = createCache({ serializer: devalueSerializer, values: 'frozen' })
await rich.set('rich', { at: new Date(0), ids: new Set([1, 2]), bytes: new Uint8Array([7]) })
const back = await rich.get('rich')
assert.ok(back.at instanceof Date && back.ids.has(2) && back.bytes[0] === 7)

// bloom-filters is CommonJS: this proves our import of it works under Node's own ESM loader.
const filter = memoryBloom({ capacity: 1000, errorRate: 0.01 })
filter.add('user:1')
const guarded = createCache({ guards: [bloomGuard({ filter })] })
assert.deepEqual(await guarded.getOrSet('user:1', load), { id: 1 })
assert.equal(await guarded.getOrSet('user:2', load), undefined)
assert.equal(guarded.stats().blocked, 1)

const warmed = await warmup(memory, { keys: ['user:7', 'user:8'], load: async (key) => ({ key }) })
assert.equal(warmed.loaded, 2)

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: 1,
})
try {
  const cache = createCache({ store: redisStore(redis, { prefix: `smoke:${process.pid}:` }) })
  assert.deepEqual(await cache.getOrSet('user:1', load), { id: 1 })
  assert.deepEqual(await cache.get('user:1'), { id: 1 })
  assert.equal(await cache.delete('user:1'), true)
  // The lock guard and its Redlock (CommonJS) under Node's own loader, with a fenced write.
  const guard = lockGuard({ redlock: new Redlock([redis]), prefix: `smoke:${process.pid}:lock:` })
  const locked = createCache({
    store: redisStore(redis, { prefix: `smoke:${process.pid}:` }),
    guards: [guard],
  })
  let fence
  const loader = (ctx) => {
    fence = ctx.fence
    return 'v'
  }
  assert.equal(await locked.getOrSet('locked', loader), 'v')
  assert.ok(fence > 0)
  assert.equal(await locked.delete('locked'), true)
  await guard.close()
} finally {
  await redis.quit()
}
// The CLI as npm would link it: its `bin` entry, run by plain node.
const warmupPackage = createRequire(import.meta.url).resolve('@cacheguard/warmup/package.json')
const bin = JSON.parse(readFileSync(warmupPackage, 'utf8')).bin['cacheguard-warmup']
assert.match(
  execFileSync(process.execPath, [join(dirname(warmupPackage), bin), '--help'], {
    encoding: 'utf8',
  }),
  /Usage: cacheguard-warmup/,
)
console.log('smoke: the built packages work under plain node')
