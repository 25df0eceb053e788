// The serializers: serialize + deserialize operations per second of the default jsonSerializer,
// devalueSerializer (@cacheguard/core/serializers) and a superjson serializer written the same
// way, on the plain value every benchmark uses and on a value holding a Date, a Map and a Set;
// which of them brings each kind of value back as itself; and what jsonSerializer's refusals cost
// its `serialize`, against the replacer it had before them and against a bare JSON.stringify.
import { execFileSync } from 'node:child_process'
import { isDeepStrictEqual } from 'node:util'
import { jsonSerializer, type Serializer } from '@cacheguard/core'
import { devalueSerializer } from '@cacheguard/core/serializers'
import superjson from 'superjson'
import { printRows, writeResults } from './lib/report.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 1)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)

const superjsonSerializer: Serializer = {
  serialize: (value) => superjson.stringify(value),
  deserialize: (text) => superjson.parse(text),
}

// jsonSerializer's replacer before issue 13: a typeof switch, Map/Set/WeakMap by instanceof.
function previousReplacer(_key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'function':
    case 'symbol':
      throw new TypeError('refused')
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('refused')
      return value
    case 'object':
      if (value instanceof Map || value instanceof Set || value instanceof WeakMap) {
        throw new TypeError('refused')
      }
      return value
    default:
      return value
  }
}

const previousSerializer: Serializer = {
  serialize: (value) => JSON.stringify(value, previousReplacer),
  deserialize: (text) => JSON.parse(text),
}

const plain = { id: 42, name: 'Ada Lovelace', tags: ['admin', 'math', 'poet'], score: 97.5 }
const rich = {
  id: 42,
  name: 'Ada Lovelace',
  createdAt: new Date('2026-11-21T10:00:00Z'),
  roles: new Set(['admin', 'math', 'poet']),
  prefs: new Map<string, unknown>([
    ['theme', 'dark'],
    ['pageSize', 50],
  ]),
}

const contenders: Array<[string, Serializer]> = [
  ['jsonSerializer', jsonSerializer],
  ['devalueSerializer', devalueSerializer],
  ['superjson', superjsonSerializer],
]

let sink = 0
/** Calls `fn` for `seconds` and returns calls per second; checks the clock every 256 calls. */
function opsPerSecond(fn: () => unknown): number {
  const started = performance.now()
  const until = started + seconds * 1000
  let calls = 0
  let now = started
  while (now < until) {
    for (let i = 0; i < 256; i++) if (fn() !== undefined) sink++
    calls += 256
    now = performance.now()
  }
  return calls / ((now - started) / 1000)
}

/** Each contender for a 0.2 s warmup, then `rounds` rounds alternating them; the medians. */
function compareOps(named: Array<[string, () => unknown]>): Map<string, number> {
  const samples = new Map(named.map(([name]) => [name, [] as number[]]))
  for (const [, fn] of named) {
    const end = performance.now() + 200
    while (performance.now() < end) fn()
  }
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of named) samples.get(name)!.push(opsPerSecond(fn))
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!
  return new Map([...samples].map(([name, values]) => [name, median(values)]))
}

/** The commit measured, or undefined outside a git checkout. */
function commitOf(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
}

const format = (n: number) => Math.round(n).toLocaleString('en-US')
const refuses = (serializer: Serializer, value: unknown) => {
  try {
    serializer.serialize(value)
    return false
  } catch {
    return true
  }
}

// 1. Serialize + deserialize, per value.
const roundTrips: Record<string, Record<string, number | 'refused'>> = {}
for (const [label, value] of [
  ['plain', plain],
  ['Date, Map, Set', rich],
] as const) {
  const usable = contenders.filter(([, s]) => !refuses(s, value))
  const measured = compareOps(
    usable.map(([name, s]) => [name, () => s.deserialize(s.serialize(value))]),
  )
  roundTrips[label] = Object.fromEntries(
    contenders.map(([name]) => [name, measured.get(name) ?? 'refused']),
  )
}
console.log(`serialize + deserialize, ops/s (median of ${rounds} rounds of ${seconds} s)`)
printRows([
  ['serializer', ...Object.keys(roundTrips)],
  ...contenders.map(([name]) => [
    name,
    ...Object.values(roundTrips).map((row) => {
      const ops = row[name]!
      return ops === 'refused' ? 'refused' : format(ops)
    }),
  ]),
])

// 2. jsonSerializer's checks: serialize alone, on the plain value.
const checks = compareOps([
  ['JSON.stringify, no replacer', () => JSON.stringify(plain)],
  ['previous jsonSerializer.serialize', () => previousSerializer.serialize(plain)],
  ['jsonSerializer.serialize', () => jsonSerializer.serialize(plain)],
])
const previous = checks.get('previous jsonSerializer.serialize')!
console.log('\njsonSerializer.serialize of the plain value, ops/s')
printRows([
  ['variant', 'ops/s', 'vs previous'],
  ...[...checks].map(([name, ops]) => [name, format(ops), (ops / previous).toFixed(3)]),
])

// 3. Which kinds come back as themselves (deep-equal, same prototype).
const kinds: Array<[string, unknown]> = [
  ['Date', new Date('2026-11-21T10:00:00Z')],
  ['Map', new Map([[1, { a: 1 }]])],
  ['Set', new Set([1, 'a'])],
  ['BigInt', 10n ** 20n],
  ['undefined property', { a: undefined }],
  ['RegExp', /^user:\d+$/giu],
  ['-0', -0],
  ['NaN', Number.NaN],
  // biome-ignore lint/suspicious/noSparseArray: the hole is the case measured
  ['sparse array', [1, , 3]],
  ['Uint8Array', new Uint8Array([1, 2, 255])],
  ['Float64Array', new Float64Array([1.5, -0, Number.NaN])],
  ['ArrayBuffer', new Uint8Array([9, 8, 7]).buffer],
  ['Buffer', Buffer.from('cacheguard')],
  ['URL', new URL('https://example.com/a?b=1')],
]
const coverage: Record<string, Record<string, string>> = {}
for (const [kind, value] of kinds) {
  coverage[kind] = {}
  for (const [name, serializer] of contenders) {
    let outcome: string
    let text: string | undefined
    try {
      text = serializer.serialize({ value })
      const back = serializer.deserialize(text) as { value: unknown }
      outcome =
        isDeepStrictEqual(back.value, value) &&
        Object.getPrototypeOf(back.value) === Object.getPrototypeOf(value)
          ? 'yes'
          : 'CHANGED'
    } catch {
      // Refused on write is safe; written but unreadable is a corrupt entry on every read.
      outcome = text === undefined ? 'refused' : 'UNREADABLE'
    }
    coverage[kind][name] = outcome
  }
}
console.log('\ncomes back as itself')
printRows([
  ['kind', ...contenders.map(([name]) => name)],
  ...Object.entries(coverage).map(([kind, row]) => [kind, ...contenders.map(([n]) => row[n]!)]),
])

const path = await writeResults('serializers', {
  run: {
    date: new Date().toISOString(),
    node: process.version,
    commit: commitOf(),
    seconds,
    rounds,
  },
  roundTrips,
  jsonSerializerChecks: Object.fromEntries(checks),
  coverage,
  sink,
})
console.log(`\nwritten to ${path}`)
