#!/usr/bin/env node
// The README's commands: `npm run demo` and `npm test` work on a machine that has only Node and
// npm. This script finds pnpm (or fetches the pinned one with npx), installs the workspace from the
// lockfile, then runs the task. Extra arguments go to the task: `npm run demo -- --requests 500`.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager // pnpm@x.y.z
const version = pinned.split('@')[1]

const tasks = {
  test: ['exec', 'vitest', 'run'],
  demo: ['--filter', '@cacheguard/examples', 'run', 'demo'],
  bench: ['--filter', '@cacheguard/bench', 'run', 'bench'],
}

const [task, ...rest] = process.argv.slice(2)
if (!(task in tasks)) {
  console.error(`usage: node scripts/run.mjs <${Object.keys(tasks).join('|')}> [args...]`)
  process.exit(2)
}

/** Runs a command in the workspace root, inheriting stdio; returns its exit code. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options })
  if (result.error) return 127
  return result.status ?? 1
}

function findPnpm() {
  // Already running under pnpm (pnpm test): use that very pnpm.
  const execPath = process.env.npm_execpath ?? ''
  if (/pnpm/.test(execPath)) return [process.execPath, [execPath]]
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' })
  if (probe.status === 0 && probe.stdout.trim() === version) return ['pnpm', []]
  console.error(`> pnpm ${version} not found on PATH; using npx -y pnpm@${version}`)
  return ['npx', ['-y', `pnpm@${version}`]]
}

const [pnpm, prefix] = findPnpm()
if (process.env.CACHEGUARD_SKIP_INSTALL !== '1') {
  const code = run(pnpm, [...prefix, 'install', '--frozen-lockfile', '--reporter=silent'])
  if (code !== 0) process.exit(code)
}
process.exit(run(pnpm, [...prefix, ...tasks[task], ...rest]))
