import type { Cache } from '@cacheguard/core'
import type { WarmupOptions } from './options.js'

/**
 * A warmup job as a module exports it for `cacheguard-warmup`: the cache, the options of
 * `warmup` (its `signal` is the CLI's), and `close` to end the job's connections.
 */
export interface WarmupJob<T = unknown> extends Omit<WarmupOptions<T>, 'signal'> {
  cache: Cache
  /** Called after the run, whatever its outcome: quit Redis clients and database pools here. */
  close?: () => unknown
}

/**
 * Finds the job a module exports: `name`, else `default`, else `job`; a function is called (it may
 * be async) so a module can open its connections only when run.
 */
export async function loadJob(module: Record<string, unknown>, name?: string): Promise<WarmupJob> {
  const names = name === undefined ? ['default', 'job'] : [name]
  const found = names.find((candidate) => module[candidate] !== undefined)
  if (found === undefined) {
    throw new TypeError(`it exports no ${names.map((n) => `\`${n}\``).join(' or ')}`)
  }
  const exported = module[found]
  const job = (typeof exported === 'function' ? await exported() : exported) as WarmupJob | null
  if (job === null || typeof job !== 'object' || typeof job.cache?.getOrSet !== 'function') {
    throw new TypeError(
      `\`${found}\` is not a job: expected { cache, keys, load } or a function returning one`,
    )
  }
  if (job.close !== undefined && typeof job.close !== 'function') {
    throw new TypeError(`\`${found}.close\` must be a function, got ${typeof job.close}`)
  }
  return job
}
