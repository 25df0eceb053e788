import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import type { Redis } from 'ioredis'

/** What a result file records about the run, so figures can be traced to a machine and a tree. */
export interface RunInfo {
  date: string
  node: string
  cpus: number
  redis: string | undefined
  /** The commit measured, and whether `packages/` had uncommitted changes at the time. */
  commit: string | undefined
  packagesModified: boolean | undefined
}

/** Collects the run's metadata; the Redis version comes from `INFO server`. */
export async function runInfo(redis: Redis): Promise<RunInfo> {
  const info = await redis.info('server')
  const packages = git('status', '--porcelain', '--', 'packages')
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    redis: /redis_version:(\S+)/.exec(info)?.[1],
    commit: git('rev-parse', '--short', 'HEAD'),
    packagesModified: packages === undefined ? undefined : packages !== '',
  }
}

/** Runs a git command in the repository; `undefined` when git or the repository is missing. */
function git(...args: string[]): string | undefined {
  try {
    // The repository's root (this file is bench/lib/run-info.ts): pathspecs such as `packages`
    // are relative to it.
    const cwd = new URL('../..', import.meta.url)
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: 'pipe' }).trim()
  } catch {
    return undefined
  }
}
