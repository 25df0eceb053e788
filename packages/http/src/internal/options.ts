import {
  type Cache,
  type Duration,
  describeValue,
  parseDuration,
  withoutUndefined,
} from '@cacheguard/core'
import type { HttpCacheOptions, HttpRequest } from '../types.js'

const DEFAULTS = {
  ttl: '1m',
  statuses: [200, 203, 204, 300, 301, 308, 404, 410],
  notFoundTtl: '30s',
  varyBy: [] as string[],
  cookies: 'private',
  cdnCacheControl: false,
  keep: '1h',
  maxBodyBytes: 1024 * 1024,
  invalidateOnWrite: true,
  handlerTimeout: '30s',
} as const satisfies HttpCacheOptions

/** Every option's name: a misspelt one (`TTL`, `maxAge`) is refused rather than silently ignored. */
const KNOWN: ReadonlySet<string> = new Set<keyof HttpCacheOptions>([
  ...(Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]),
  'key',
  'tags',
])

/** The options of `httpCache`, validated, with their defaults. */
export type ResolvedOptions = ReturnType<typeof resolveOptions>

/** Validates the options of `httpCache` and fills in their defaults. */
export function resolveOptions(cache: Cache, options: HttpCacheOptions) {
  if (typeof cache?.getOrSet !== 'function' || typeof cache.delete !== 'function') {
    throw new TypeError('Expected `cache` to be a cache from createCache()')
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected the options to be an object, got ${describeValue(options)}`)
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) {
      throw new TypeError(
        `Unknown option \`${name}\` of the HTTP cache; the options are ${[...KNOWN].join(', ')}`,
      )
    }
  }
  const o = { ...DEFAULTS, ...withoutUndefined(options) }
  const statuses = o.statuses as readonly number[]
  if (
    !Array.isArray(statuses) ||
    !statuses.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)
  ) {
    throw new TypeError(
      `Expected \`statuses\` to be an array of HTTP statuses, got ${describeValue(statuses)}`,
    )
  }
  if (statuses.includes(206) || statuses.includes(304)) {
    throw new TypeError(
      'Expected `statuses` without 206 or 304: partial and not-modified responses are never stored',
    )
  }
  const varyBy = o.varyBy as readonly string[]
  if (!Array.isArray(varyBy) || !varyBy.every((name) => typeof name === 'string' && name !== '')) {
    throw new TypeError(
      `Expected \`varyBy\` to be an array of header names, got ${describeValue(varyBy)}`,
    )
  }
  const cookies = o.cookies as unknown
  if (
    cookies !== 'private' &&
    cookies !== 'ignore' &&
    !(
      Array.isArray(cookies) &&
      cookies.length > 0 &&
      cookies.every((name) => typeof name === 'string' && /^[!#$%&'*+\-.^_`|~\w]+$/.test(name))
    )
  ) {
    throw new TypeError(
      `Expected \`cookies\` to be 'private', 'ignore' or a non-empty array of cookie names, got ${describeValue(cookies)}`,
    )
  }
  if (typeof o.cdnCacheControl !== 'boolean') {
    throw new TypeError(
      `Expected \`cdnCacheControl\` to be a boolean, got ${describeValue(o.cdnCacheControl)}`,
    )
  }
  if (o.key !== undefined && typeof o.key !== 'function') {
    throw new TypeError(
      `Expected \`key\` to be a function of the request, got ${describeValue(o.key)}`,
    )
  }
  if (!Number.isInteger(o.maxBodyBytes) || o.maxBodyBytes < 0) {
    throw new TypeError(
      `Expected \`maxBodyBytes\` to be an integer of 0 or more, got ${describeValue(o.maxBodyBytes)}`,
    )
  }
  if (o.tags !== undefined && typeof o.tags !== 'function') {
    throw new TypeError(
      `Expected \`tags\` to be a function of the request and the response, got ${describeValue(o.tags)}`,
    )
  }
  if (typeof o.invalidateOnWrite !== 'boolean') {
    throw new TypeError(
      `Expected \`invalidateOnWrite\` to be a boolean, got ${describeValue(o.invalidateOnWrite)}`,
    )
  }
  return {
    // `ttl: false`: nothing without a lifetime of its own (stated or heuristic) is reused, "not
    // found" included unless `notFoundTtl` is given.
    ttlMs: o.ttl === false ? undefined : duration('ttl', o.ttl),
    notFoundTtlMs:
      o.notFoundTtl === false || (o.ttl === false && options.notFoundTtl === undefined)
        ? undefined
        : duration('notFoundTtl', o.notFoundTtl),
    handlerTimeoutMs: duration('handlerTimeout', o.handlerTimeout),
    statuses: new Set(statuses),
    varyBy: varyBy.map((name) => name.toLowerCase()),
    cdnCacheControl: o.cdnCacheControl,
    keepMs: o.keep === false ? 0 : keepDuration(o.keep),
    cookies: Array.isArray(cookies) ? 'named' : (cookies as 'private' | 'ignore'),
    /** The named cookies, as the key's part names (`cookie:session`). */
    cookieKeys: Array.isArray(cookies) ? cookies.map((name: string) => `cookie:${name}`) : [],
    key: o.key as ((request: HttpRequest) => string) | undefined,
    maxBodyBytes: o.maxBodyBytes,
    invalidateOnWrite: o.invalidateOnWrite,
    tags: o.tags as HttpCacheOptions['tags'],
  }
}

function duration(name: string, value: Duration | false | undefined): number {
  const ms = parseDuration(value)
  if (ms === undefined || !(ms > 0)) {
    throw new TypeError(
      `Expected \`${name}\` to be a positive duration (milliseconds, or a string like '30s'), got ${describeValue(value)}`,
    )
  }
  return ms
}

function keepDuration(value: Duration | undefined): number {
  const ms = parseDuration(value)
  if (ms === undefined || !(ms >= 0)) {
    throw new TypeError(
      `Expected \`keep\` to be a duration of 0 or more (milliseconds, or a string like '1h'), or false, got ${describeValue(value)}`,
    )
  }
  return ms
}
