import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

// Checks the commands the docs show without running them: a script that is renamed, a package or
// a bin that goes away, a path that moves, or a flag a CLI no longer takes makes a problem.

interface PackageJson {
  name?: string
  scripts?: Record<string, string>
  bin?: string | Record<string, string>
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

/** What the commands may refer to: the workspace's packages, scripts, bins and dependencies. */
export interface Workspace {
  readonly root: string
  /** Workspace package name to its directory. */
  readonly packages: ReadonlyMap<string, string>
  /** Every bin a workspace package declares, to the TypeScript source that implements it. */
  readonly bins: ReadonlyMap<string, string>
  /** Package names the workspace depends on (any kind of dependency). */
  readonly dependencies: ReadonlySet<string>
}

/** Commands of the system, not of this repository: allowed, not checked. */
const SYSTEM = new Set(['apt-get', 'sudo', 'redis-server', 'redis-cli', 'curl', 'export', 'echo'])

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as PackageJson

/** Reads the workspace at `root`: the root, `packages/*`, `examples`, `test` and `bench`. */
export function readWorkspace(root: string): Workspace {
  const dirs = [
    '.',
    'examples',
    'test',
    'bench',
    ...readdirSync(join(root, 'packages')).map((name) => `packages/${name}`),
  ].filter((dir) => existsSync(join(root, dir, 'package.json')))
  const packages = new Map<string, string>()
  const bins = new Map<string, string>()
  const dependencies = new Set<string>()
  for (const dir of dirs) {
    const pkg = readJson(join(root, dir, 'package.json'))
    if (pkg.name !== undefined) packages.set(pkg.name, dir)
    for (const deps of [pkg.dependencies, pkg.devDependencies, pkg.peerDependencies]) {
      for (const name of Object.keys(deps ?? {})) dependencies.add(name)
    }
    const declared = typeof pkg.bin === 'string' ? { [pkg.name ?? '']: pkg.bin } : (pkg.bin ?? {})
    for (const [bin, path] of Object.entries(declared)) {
      // Built bins run from dist/; their source is the same path under src/, in TypeScript.
      const source = join(dir, path.replace(/^(\.\/)?dist\//, 'src/').replace(/\.js$/, '.ts'))
      bins.set(bin, source)
    }
  }
  return { root, packages, bins, dependencies }
}

/** The problems of a shell block: one message per command that refers to something missing. */
export function checkShell(code: string, ws: Workspace): string[] {
  const problems: string[] = []
  // Continuation lines are one command; comments go.
  const lines = code.replace(/\\\n/g, ' ').split('\n')
  for (const line of lines) {
    const text = line.replace(/(^|\s)#.*$/, '').trim()
    if (text === '') continue
    let cwd = ws.root
    for (const command of text.split(/&&|\|\||;|\|/)) {
      const words = command.trim().split(/\s+/).filter(Boolean)
      // Optional arguments shown as `[--flag value]`, and env assignments, are not the command.
      const args = words.map((word) => word.replace(/^\[|\]$/g, ''))
      while (args.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(args[0]!)) args.shift()
      if (args.length === 0) continue
      if (args[0] === 'cd') {
        const to = resolve(cwd, args[1] ?? '.')
        if (!existsSync(to)) problems.push(`\`${line.trim()}\`: no directory ${args[1]}`)
        cwd = to
        continue
      }
      problems.push(...checkCommand(args, cwd, ws).map((p) => `\`${line.trim()}\`: ${p}`))
    }
  }
  return problems
}

function checkCommand(args: string[], cwd: string, ws: Workspace): string[] {
  const [tool, sub, ...rest] = args as [string, string | undefined, ...string[]]
  if (SYSTEM.has(tool)) return []
  if (tool === 'npm' || tool === 'pnpm' || tool === 'yarn') {
    if (sub === undefined) return [`${tool} with no command`]
    if (['add', 'install', 'i'].includes(sub)) return checkInstall(rest, ws)
    if (sub === 'run' || sub === 'run-script') return checkScript(rest[0], cwd, ws)
    if (sub === 'exec') return checkRun(rest, cwd, ws)
    if (sub === '--filter') {
      const name = rest[0] ?? ''
      if (!ws.packages.has(name)) return [`no workspace package ${name}`]
      return checkScript(
        rest[1] === 'run' ? rest[2] : rest[1],
        join(ws.root, ws.packages.get(name)!),
        ws,
      )
    }
    // `npm test`, `pnpm build`, `pnpm demo`: a script of the package in `cwd`.
    return checkScript(sub, cwd, ws)
  }
  if (tool === 'npx') return checkRun([sub ?? '', ...rest], cwd, ws)
  // A bin called by name, as in a package.json script or a container's command.
  if (ws.bins.has(tool)) return checkRun(args, cwd, ws)
  if (tool === 'node') return checkPaths(args.slice(1), cwd, ws)
  return [`unknown command \`${tool}\`: add it to the checks in test/helpers/shell-check.ts`]
}

/** `npx <bin> ...` or `pnpm exec <bin> ...`: a bin of the workspace or an installed one. */
function checkRun(args: string[], cwd: string, ws: Workspace): string[] {
  const positional = args.filter((arg) => !arg.startsWith('-'))
  const bin = positional[0]
  if (bin === undefined) return ['no command to run']
  const source = ws.bins.get(bin)
  if (source !== undefined) {
    // The flags it is given must be flags it reads.
    const text = readFileSync(join(ws.root, source), 'utf8')
    const flags = args.filter((arg) => arg.startsWith('--')).map((arg) => arg.split('=')[0]!)
    return [
      ...flags.filter((flag) => !text.includes(flag)).map((flag) => `${bin} has no ${flag} flag`),
      ...checkPaths(args.slice(args.indexOf(bin) + 1), cwd, ws),
    ]
  }
  const installed = ['.', 'examples', 'test', 'bench'].some((dir) =>
    existsSync(join(ws.root, dir, 'node_modules', '.bin', bin)),
  )
  if (!installed) return [`no bin \`${bin}\` in the workspace`]
  return checkPaths(args.slice(args.indexOf(bin) + 1), cwd, ws)
}

function checkScript(name: string | undefined, cwd: string, ws: Workspace): string[] {
  if (name === undefined) return ['no script named']
  let dir = cwd
  while (!existsSync(join(dir, 'package.json')) && dir !== ws.root) dir = dirname(dir)
  const scripts = readJson(join(dir, 'package.json')).scripts ?? {}
  const where = relative(ws.root, join(dir, 'package.json')) || 'package.json'
  return name in scripts ? [] : [`no script \`${name}\` in ${where}`]
}

function checkInstall(args: string[], ws: Workspace): string[] {
  return args
    .filter((arg) => !arg.startsWith('-'))
    .map((spec) => spec.replace(/(.)@[^@/]*$/, '$1')) // drop a version: ioredis@6
    .filter((name) => !(ws.packages.has(name) || ws.dependencies.has(name)))
    .map((name) =>
      name.startsWith('@cacheguard/')
        ? `no package ${name} under packages/`
        : `${name} is not a dependency of any workspace package`,
    )
}

/**
 * Arguments that are paths into this repository must exist. A path whose first segment is not in
 * the repository (`dist/warmup-job.js`) is the reader's own file, and is not checked.
 */
function checkPaths(args: string[], cwd: string, ws: Workspace): string[] {
  return args
    .filter((arg) => !arg.startsWith('-') && /[/.]/.test(arg) && !/^\d/.test(arg))
    .filter((arg) => /\.(ts|js|mjs|cjs|json|ya?ml)$/.test(arg) || arg.includes('/'))
    .filter((arg) => existsSync(resolve(cwd, arg.split('/')[0]!)))
    .filter((arg) => !existsSync(resolve(cwd, arg)))
    .map((arg) => `no file ${relative(ws.root, resolve(cwd, arg))}`)
}
