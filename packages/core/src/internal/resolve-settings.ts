import type { InvalidationBus } from '../bus.js'
import type { Guard } from '../guard.js'
import { memoryStore } from '../memory-store.js'
import type { CacheOptions, LoadTimeouts } from '../options.js'
import { jsonSerializer } from '../serializer.js'
import type { CacheStore } from '../store.js'
import { withoutUndefined } from '../without-undefined.js'
import type { EarlyRefresh, Settings } from './settings.js'
import {
  describeValue,
  durationOption,
  hardTimeout,
  numberOption,
  softTimeout,
} from './validate.js'

/** The defaults of `createCache`'s options (the README's options table lists them). */
const DEFAULTS = {
  namespace: '',
  ttl: '5m',
  jitter: 0.1,
  grace: 0,
  negativeTtl: '30s',
  guards: [] as Guard[],
  storeTimeout: '500ms',
  timeout: {} as LoadTimeouts,
  maxKeyLength: 1024,
  serializer: jsonSerializer,
  batchReads: true,
  batchWrites: true,
  loadConcurrency: Number.POSITIVE_INFINITY,
  loadQueue: 1000,
  values: 'copy',
  hotKeys: 0,
  breaker: { failures: 5, openFor: '5s' },
  clearable: false,
  l1MaxAge: '1m',
} satisfies CacheOptions

/** Validates the options of `createCache` into its settings; a bad option throws a `TypeError`. */
export function resolveSettings(options: CacheOptions): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected the options to be an object, got ${describeValue(options)}`)
  }
  const o = { ...DEFAULTS, ...withoutUndefined(options) }
  if (typeof o.namespace !== 'string' || o.namespace.includes('\n')) {
    throw new TypeError(`Expected \`namespace\` to be a string, got ${describeValue(o.namespace)}`)
  }
  if (!Array.isArray(o.guards) || o.guards.some((g) => typeof g !== 'object' || g === null)) {
    throw new TypeError(
      `Expected \`guards\` to be an array of guards, got ${describeValue(o.guards)}`,
    )
  }
  const serializer = o.serializer
  if (typeof serializer?.serialize !== 'function' || typeof serializer.deserialize !== 'function') {
    throw new TypeError('Expected `serializer` to have `serialize` and `deserialize` functions')
  }
  const store = options.store ?? memoryStore()
  if (
    typeof store?.get !== 'function' ||
    typeof store.set !== 'function' ||
    typeof store.delete !== 'function'
  ) {
    throw new TypeError(
      'Expected `store` to be a CacheStore with `get`, `set` and `delete` methods',
    )
  }
  if (typeof o.batchReads !== 'boolean') {
    throw new TypeError(
      `Expected \`batchReads\` to be a boolean, got ${describeValue(o.batchReads)}`,
    )
  }
  if (o.values !== 'copy' && o.values !== 'frozen') {
    throw new TypeError(
      `Expected \`values\` to be 'copy' or 'frozen', got ${describeValue(o.values)}`,
    )
  }
  if (typeof o.timeout !== 'object' || o.timeout === null) {
    throw new TypeError(
      `Expected \`timeout\` to be an object such as { soft: '100ms', hard: '5s' } (store calls have \`storeTimeout\`), got ${describeValue(o.timeout)}`,
    )
  }
  const storeTimeoutMs = durationOption('storeTimeout', o.storeTimeout, 1)
  if (typeof o.batchWrites !== 'boolean') {
    throw new TypeError(
      `Expected \`batchWrites\` to be a boolean, got ${describeValue(o.batchWrites)}`,
    )
  }
  const loadConcurrency = numberOption(
    'loadConcurrency',
    o.loadConcurrency,
    1,
    Number.POSITIVE_INFINITY,
  )
  if (Number.isFinite(loadConcurrency) && !Number.isInteger(loadConcurrency)) {
    throw new TypeError(
      `Expected \`loadConcurrency\` to be an integer or Infinity, got ${describeValue(loadConcurrency)}`,
    )
  }
  const loadQueue = numberOption('loadQueue', o.loadQueue, 0, Number.POSITIVE_INFINITY)
  const hotKeys = numberOption('hotKeys', o.hotKeys, 0, 100_000, true)
  const remote = store.local !== true
  const l1 = tierOption(options.l1)
  return {
    namespace: o.namespace,
    store,
    l1,
    bus: busOption(options.bus, l1),
    l1MaxAgeMs:
      o.l1MaxAge === false ? Number.POSITIVE_INFINITY : durationOption('l1MaxAge', o.l1MaxAge, 1),
    serializer,
    guards: [...o.guards],
    admitters: o.guards.filter((guard) => typeof guard.admit === 'function'),
    fencing: o.guards.some((guard) => guard.fencing === true),
    defaults: {
      ttl: durationOption('ttl', o.ttl, 1),
      grace: durationOption('grace', o.grace, 0),
      negativeTtl: durationOption('negativeTtl', o.negativeTtl, 0),
      softMs: softTimeout(o.timeout.soft),
      hardMs: hardTimeout(o.timeout.hard),
      jitter: numberOption('jitter', o.jitter, 0, 1),
      tags: undefined,
    },
    storeTimeoutMs,
    frozenValues: o.values === 'frozen',
    maxKeyLength: numberOption('maxKeyLength', o.maxKeyLength, 1, Number.POSITIVE_INFINITY, true),
    earlyRefresh: earlyRefreshOption(options.earlyRefresh),
    batchReads: o.batchReads && remote && typeof store.getMany === 'function',
    batchWrites: o.batchWrites && remote && typeof store.setMany === 'function',
    loadConcurrency,
    loadQueue,
    breaker: remote ? breakerOption(o.breaker) : undefined,
    hotKeys,
    clearable: booleanOption('clearable', o.clearable),
  }
}

function booleanOption(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(`Expected \`${name}\` to be a boolean, got ${describeValue(value)}`)
  }
  return value
}

function earlyRefreshOption(option: CacheOptions['earlyRefresh']): EarlyRefresh | undefined {
  if (option === undefined) return undefined
  const given = option as { beta?: unknown; threshold?: unknown }
  if (typeof option !== 'object' || option === null || 'beta' in given === 'threshold' in given) {
    throw new TypeError(
      `Expected \`earlyRefresh\` to be { beta: number } or { threshold: number }, got ${describeValue(option)}`,
    )
  }
  if ('beta' in given) {
    return { beta: numberOption('earlyRefresh.beta', given.beta, Number.MIN_VALUE, 1000) }
  }
  // A threshold of 1 would refresh at expiry, which is no earlier than a miss.
  const threshold = numberOption('earlyRefresh.threshold', given.threshold, 0, 1)
  if (threshold === 1) {
    throw new TypeError('Expected `earlyRefresh.threshold` to be below 1, got `1` (number)')
  }
  return { threshold }
}

function tierOption(l1: CacheStore | undefined): CacheStore | undefined {
  if (l1 === undefined) return undefined
  if (
    typeof l1?.get !== 'function' ||
    typeof l1.set !== 'function' ||
    typeof l1.delete !== 'function' ||
    l1.local !== true
  ) {
    throw new TypeError(
      `Expected \`l1\` to be an in-process store such as memoryStore(), got ${describeValue(l1)}`,
    )
  }
  return l1
}

function busOption(
  bus: InvalidationBus | undefined,
  l1: CacheStore | undefined,
): InvalidationBus | undefined {
  if (bus === undefined) return undefined
  if (typeof bus?.publish !== 'function' || typeof bus.subscribe !== 'function') {
    throw new TypeError(
      `Expected \`bus\` to have \`publish\` and \`subscribe\`, got ${describeValue(bus)}`,
    )
  }
  if (l1 === undefined) {
    throw new TypeError('`bus` drops memory-tier copies in other processes: it needs `l1` as well')
  }
  return bus
}

function breakerOption(option: CacheOptions['breaker']): Settings['breaker'] {
  if (option === false) return undefined
  if (typeof option !== 'object' || option === null) {
    throw new TypeError(
      `Expected \`breaker\` to be an object or false, got ${describeValue(option)}`,
    )
  }
  const failures = numberOption(
    'breaker.failures',
    option.failures ?? 5,
    1,
    Number.POSITIVE_INFINITY,
    true,
  )
  return { failures, openForMs: durationOption('breaker.openFor', option.openFor ?? '5s', 1) }
}
