// Every fenced code block of docs/**/*.md and README.md runs or is checked here, so the docs
// cannot drift from the code. The convention for writing them (also in docs/index.md):
//
// - ```ts: a program, run as written with tsx (packages resolved to their source) against the real
//   Redis. A block may use, without declaring them, the names that stand for the reader's own
//   things: `db`, `id`, `redis`, `log`, `clusterNodes`, `lockServers` (test/fixtures/docs/); the
//   test imports those it uses (with one header line, so line numbers shift by one). Each block
//   gets a Redis URL whose `keyPrefix` is its own, and its keys are deleted after it.
//   test/fixtures/docs/run-block.ts sends SIGTERM once the block's top level has run (if it
//   listens), closes its ioredis connections, and fails it unless it then exits by itself.
//   A `// → text` comment (without `...`) is checked against what the block printed. The blocks
//   of docs/ are also type-checked with the repository's strict tsconfig (README.md's are only
//   run: its code is not this test's to change).
// - `<!-- run-with: <bin> [args] -->` above a ts block: the block is a module for that bin of the
//   workspace (`cacheguard-warmup`), which runs it from source and must exit 0.
// - `<!-- not-run: reason -->` above a ts block: not run, with the reason; counted and reported.
// - ```sh: never run; each command must refer to scripts, packages, bins, flags and paths that
//   exist (test/helpers/shell-check.ts).
// - ```yaml and ```json: parsed; Prometheus configs and rules, and commands, are checked.
// Any other fence fails the test, and so does every `cacheguard_*` metric name in the docs that
// @cacheguard/prometheus does not define.
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CodeBlock, codeBlocks, docFiles } from './helpers/markdown-blocks.js'
import { connectRedis, redisUrl } from './helpers/redis.js'
import { type RedisCluster, startRedisCluster } from './helpers/redis-cluster.js'
import { type RedisServer, startRedisServer } from './helpers/redis-server.js'
import { checkShell, readWorkspace } from './helpers/shell-check.js'
import { parseYaml } from './helpers/yaml-subset.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const workspace = readWorkspace(root)
/** The names a block may use without declaring them, and the fixture module of each. */
const PRELUDE: Record<string, string> = {
  db: 'db',
  id: 'db',
  redis: 'redis',
  log: 'log',
  clusterNodes: 'servers',
  lockServers: 'servers',
}
const DIRECTIVES = new Set(['not-run', 'run-with'])
const BLOCK_TIMEOUT_MS = 20_000

const blocks = docFiles(root).flatMap((file) => codeBlocks(root, file))
const tsBlocks = blocks.filter((b) => b.lang === 'ts' && !b.directives.has('not-run'))
const preludeOf = new Map(tsBlocks.map((block) => [block, preludeNames(block.code)]))
// Blocks run from a folder inside the workspace, where every package of the examples resolves.
const dir = join(root, 'examples', `.docs-code-${randomUUID().slice(0, 8)}`)
const fileOf = (block: CodeBlock) =>
  join(dir, `${block.file.replace(/\W+/g, '_')}_L${block.line}.ts`)

const redis = connectRedis()
const runId = randomUUID().slice(0, 8)
let cluster: Promise<RedisCluster> | undefined
let lockServers: Promise<RedisServer[]> | undefined
/** tsc's complaints about the blocks; `''` when it found none. */
let typecheck: Promise<string> | undefined

beforeAll(() => {
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../tsconfig.base.json',
      compilerOptions: { noEmit: true, declaration: false, declarationMap: false },
      include: tsBlocks.filter((b) => b.file.startsWith('docs/')).map((b) => basename(fileOf(b))),
    }),
  )
  const used = new Set([...preludeOf.values()].flat())
  for (const block of tsBlocks) {
    const names = preludeOf.get(block) ?? []
    const imports = [...new Set(names.map((name) => PRELUDE[name]))].map((module) => {
      const bound = names.filter((name) => PRELUDE[name] === module).join(', ')
      return `import { ${bound} } from '../../test/fixtures/docs/${module}.js';`
    })
    // One header line, so that line n of the file is line n - 1 of the block.
    writeFileSync(fileOf(block), `${imports.join(' ')}\n${block.code}\n`)
  }
  if (used.has('clusterNodes')) cluster = startRedisCluster(3)
  if (used.has('lockServers')) lockServers = Promise.all([1, 2, 3].map(() => startRedisServer()))
  const tsc = join(root, 'node_modules/typescript/bin/tsc')
  typecheck = run([tsc, '-p', dir, '--pretty', 'false'], {}, 120_000)
    .then(() => '')
    .catch((error: { stdout?: string; message: string }) => `${error.message}\n${error.stdout}`)
})

afterAll(async () => {
  await typecheck
  rmSync(dir, { recursive: true, force: true })
  await Promise.all([
    cluster?.then((c) => c.stop()),
    lockServers?.then((servers) => Promise.all(servers.map((s) => s.stop()))),
  ])
}, 150_000)

describe('docs | code blocks', () => {
  const slot = limit(2)

  it.concurrent.each(tsBlocks.map((block) => [block.where, block] as const))(
    'runs the ts block at %s',
    async (_, block) => {
      const prefix = `cgdocs:${runId}:${block.file.replace(/\W+/g, '_')}:${block.line}:`
      const url = new URL(redisUrl())
      url.searchParams.set('keyPrefix', prefix)
      const env: Record<string, string> = { REDIS_URL: url.href, METRICS_PORT: '0' }
      // Only the blocks that use them wait for the throwaway servers to be up.
      const names = preludeOf.get(block) ?? []
      if (cluster && names.includes('clusterNodes')) {
        env.CG_DOCS_CLUSTER_NODES = JSON.stringify((await cluster).nodes)
      }
      if (lockServers && names.includes('lockServers')) {
        env.CG_DOCS_LOCK_SERVERS = (await lockServers).map((s) => s.url).join(',')
      }
      const runWith = block.directives.get('run-with')
      const args =
        runWith === undefined
          ? [join(root, 'test/fixtures/docs/run-block.ts'), fileOf(block)]
          : binArgs(runWith, fileOf(block))
      try {
        const { stdout } = await slot(() =>
          run(['--import', 'tsx', '--conditions=cacheguard-source', ...args], env),
        ).catch((error: { stdout?: string; stderr?: string; message: string }) => {
          throw new Error(
            `${block.where} failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`,
          )
        })
        for (const expected of printed(block.code)) {
          expect(squash(stdout), `${block.where}: // → ${expected}`).toContain(squash(expected))
        }
      } finally {
        await deleteKeys(prefix)
      }
    },
    // The time a block waits for its slot counts too: up to maxConcurrency blocks queue for 2 slots.
    BLOCK_TIMEOUT_MS * 6,
  )

  it('type-checks every ts block of docs/ that runs', async () => {
    const output = (await typecheck) ?? 'tsc did not run'
    const errors = output
      .split('\n')
      .filter((line) => line.includes('error TS'))
      .map((line) => atBlock(line))
    // tsc failing without a type error (a crash, a timeout) fails too, with what it said.
    expect(errors.length > 0 ? errors : output.trim() === '' ? [] : [output]).toEqual([])
  }, 150_000)

  it('checks the commands of every sh block', () => {
    const problems = blocks
      .filter((b) => b.lang === 'sh')
      .flatMap((b) => checkShell(b.code, workspace).map((p) => `${b.where}: ${p}`))
    expect(problems).toEqual([])
  })

  it('parses every yaml and json block and checks what it names', () => {
    const problems: string[] = []
    for (const block of blocks.filter((b) => b.lang === 'yaml' || b.lang === 'json')) {
      try {
        const value = block.lang === 'json' ? JSON.parse(block.code) : parseYaml(block.code)
        problems.push(...checkConfig(value).map((p) => `${block.where}: ${p}`))
      } catch (error) {
        problems.push(`${block.where}: ${(error as Error).message}`)
      }
    }
    expect(problems).toEqual([])
  })

  it('names only metrics that @cacheguard/prometheus defines', () => {
    const defined = new Set(
      [
        ...readFileSync(
          join(root, 'packages/prometheus/src/internal/definitions.ts'),
          'utf8',
        ).matchAll(/name: '(\w+)'/g),
      ].map(([, name]) => `cacheguard_${name}`),
    )
    const unknown = docFiles(root).flatMap((file) =>
      [...readFileSync(join(root, file), 'utf8').matchAll(/cacheguard_[a-z0-9_]*[a-z0-9]/g)]
        .map(([name]) => name.replace(/_(bucket|sum|count)$/, ''))
        .filter((name) => !defined.has(name))
        .map((name) => `${file}: ${name}`),
    )
    expect(unknown).toEqual([])
  })

  it('runs or checks every block; those not run say why', () => {
    const problems: string[] = []
    const counts = { run: 0, notRun: 0, sh: 0, config: 0 }
    for (const block of blocks) {
      for (const name of block.directives.keys()) {
        if (!DIRECTIVES.has(name))
          problems.push(`${block.where}: unknown directive <!-- ${name} -->`)
      }
      const reason = block.directives.get('not-run')
      if (reason !== undefined && (block.lang !== 'ts' || reason.length < 20)) {
        problems.push(`${block.where}: not-run needs a ts block and a reason of a sentence`)
      }
      if (block.lang === 'ts') counts[reason === undefined ? 'run' : 'notRun']++
      else if (block.lang === 'sh') counts.sh++
      else if (block.lang === 'yaml' || block.lang === 'json') counts.config++
      else problems.push(`${block.where}: a \`${block.lang}\` block is neither run nor checked`)
    }
    const notRun = blocks.filter((b) => b.directives.has('not-run'))
    console.log(
      `docs code blocks: ${counts.run} ts run, ${counts.sh} sh and ${counts.config} yaml/json ` +
        `checked, ${counts.notRun} not run${notRun.map((b) => `\n  ${b.where}: ${b.directives.get('not-run')}`).join('')}`,
    )
    expect(problems).toEqual([])
    expect(counts.run).toBe(tsBlocks.length)
  })
})

/** The prelude names a block uses without declaring them at its top level. */
function preludeNames(code: string): string[] {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest, true)
  const declared = new Set<string>()
  const bind = (name: ts.BindingName | undefined) => {
    if (name === undefined) return
    if (ts.isIdentifier(name)) declared.add(name.text)
    else
      for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name)
  }
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause
      bind(clause?.name)
      const named = clause?.namedBindings
      if (named && ts.isNamespaceImport(named)) bind(named.name)
      if (named && ts.isNamedImports(named)) for (const s of named.elements) bind(s.name)
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) bind(declaration.name)
    } else if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) {
      bind(statement.name)
    }
  }
  const used = new Set<string>()
  const visit = (node: ts.Node): void => {
    const parent = node.parent
    const isName =
      parent !== undefined &&
      (ts.isPropertyAccessExpression(parent) ||
        ts.isPropertyAssignment(parent) ||
        ts.isMethodDeclaration(parent) ||
        ts.isPropertySignature(parent)) &&
      parent.name === node
    if (ts.isIdentifier(node) && !isName) used.add(node.text)
    ts.forEachChild(node, visit)
  }
  visit(source)
  return Object.keys(PRELUDE).filter((name) => used.has(name) && !declared.has(name))
}

/** The arguments that run `bin` (a bin of the workspace, from its source) on the block's file. */
function binArgs(command: string, file: string): string[] {
  const [bin = '', ...args] = command.trim().split(/\s+/)
  const source = workspace.bins.get(bin)
  if (source === undefined) throw new Error(`run-with: no bin \`${bin}\` in the workspace`)
  return [join(root, source), file, ...args]
}

/** Runs Node with `args` in the blocks' folder; resolves its output, rejects on a failure. */
function run(args: string[], env: Record<string, string> = {}, timeout = BLOCK_TIMEOUT_MS) {
  return new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: dir, env: { ...process.env, ...env }, timeout },
      (error, stdout, stderr) =>
        error ? reject(Object.assign(error, { stdout, stderr })) : resolve({ stdout, stderr }),
    )
  })
}

/** A tsc error line with the Markdown file and line it comes from. */
function atBlock(line: string): string {
  const match = /^(?:.*[\\/])?([^\\/(]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(line)
  const block = match && tsBlocks.find((b) => fileOf(b).endsWith(match[1]!))
  if (!match || !block) return line
  return `${block.file}:${block.line + Number(match[2]) - 1}:${match[3]}: ${match[4]}`
}

/** The `// → text` comments of a block: what it prints. `...` marks an abridged one, not checked. */
function printed(code: string): string[] {
  return [...code.matchAll(/\/\/ → (.+)$/gm)]
    .map(([, text]) => text!.trim())
    .filter((text) => !text.includes('...') && !text.includes('…'))
}

const squash = (text: string) => text.replace(/\s+/g, ' ').trim()

async function deleteKeys(prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    if (keys.length > 0) await redis.del(...keys)
    cursor = next
  } while (cursor !== '0')
}

/** Structure checks for the configs the docs show: Prometheus scrape configs and rules, commands. */
function checkConfig(value: unknown): string[] {
  const problems: string[] = []
  const visit = (node: unknown, key: string): void => {
    if (Array.isArray(node)) {
      if ((key === 'command' || key === 'args') && node.every((v) => typeof v === 'string')) {
        problems.push(...checkShell(node.join(' '), workspace))
      }
      for (const item of node) visit(item, '')
    } else if (typeof node === 'object' && node !== null) {
      for (const [k, v] of Object.entries(node)) visit(v, k)
    } else if (typeof node === 'string' && key === 'command') {
      problems.push(...checkShell(String(node), workspace))
    }
  }
  visit(value, '')
  const config = value as {
    scrape_configs?: Array<{ job_name?: unknown; static_configs?: Array<{ targets?: unknown }> }>
    groups?: Array<{ name?: unknown; rules?: Array<Record<string, unknown>> }>
    scripts?: Record<string, string>
  }
  for (const job of config.scrape_configs ?? []) {
    if (typeof job.job_name !== 'string') problems.push('a scrape config without job_name')
    if (!job.static_configs?.every((c) => Array.isArray(c.targets))) {
      problems.push(`scrape config ${String(job.job_name)}: static_configs without targets`)
    }
  }
  for (const group of config.groups ?? []) {
    if (typeof group.name !== 'string' || !Array.isArray(group.rules)) {
      problems.push('a rule group needs a name and rules')
    }
    for (const rule of group.rules ?? []) {
      const named = typeof rule.alert === 'string' || typeof rule.record === 'string'
      if (!named || typeof rule.expr !== 'string') problems.push('a rule needs alert and expr')
    }
  }
  for (const script of Object.values(config.scripts ?? {})) {
    problems.push(...checkShell(script, workspace))
  }
  return problems
}

/** Runs at most `n` of the functions given to it at once. */
function limit(n: number) {
  let active = 0
  const waiting: Array<() => void> = []
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    while (active >= n) await new Promise<void>((resolve) => waiting.push(resolve))
    active++
    try {
      return await fn()
    } finally {
      active--
      waiting.shift()?.()
    }
  }
}
