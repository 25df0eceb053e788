#!/usr/bin/env node
// cacheguard-warmup <module>: runs a module's exported warmup job once, for system cron or a
// Kubernetes CronJob. Exit codes: 0 every key warmed or skipped, 1 some keys failed, 2 bad usage
// or a module that does not export a job, 3 stopped by SIGTERM / SIGINT / --timeout first (the
// running keys get --grace to finish; the CLI exits without those that take longer).
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { parseDuration } from '@cacheguard/core'
import { loadJob } from './internal/job.js'
import { type WarmupProgress, warmup } from './warmup.js'

const USAGE = `Usage: cacheguard-warmup <module> [--export <name>] [--timeout <duration>] [--grace <duration>] [--json]

Runs the warmup job a module exports, once. The export (default: \`default\`, else \`job\`) is
{ cache, keys, load, ...warmup options, close? } or a function returning one.

  --export <name>      the export to run
  --timeout <duration> stop starting keys after this long ('90s', '10m', or ms); exit 3
  --grace <duration>   once stopped, how long the running keys may take to finish before the
                       CLI exits without them (a loader that ignores its signal); default 10s
  --json               print the report as one JSON line
  --help               this text

Exit codes: 0 done, 1 some keys failed, 2 bad usage or module, 3 stopped before the end.`

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>
  try {
    args = parse()
  } catch (error) {
    return usage((error as Error).message)
  }
  if (args.values.help) {
    console.log(USAGE)
    return 0
  }
  const [path, ...extra] = args.positionals
  if (path === undefined || extra.length > 0) return usage('Expected exactly one <module>')
  const timeout = args.values.timeout === undefined ? undefined : parseDuration(args.values.timeout)
  if (timeout !== undefined && !(timeout > 0))
    return usage('Expected --timeout to be a duration such as 90s')
  if (args.values.timeout !== undefined && timeout === undefined) {
    return usage(`Expected --timeout to be a duration such as 90s, got \`${args.values.timeout}\``)
  }
  const grace = parseDuration(args.values.grace)
  if (grace === undefined || !(grace >= 0)) {
    return usage(`Expected --grace to be a duration such as 10s, got \`${args.values.grace}\``)
  }

  let job: Awaited<ReturnType<typeof loadJob>>
  try {
    const module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>
    job = await loadJob(module, args.values.export)
  } catch (error) {
    console.error(`cacheguard-warmup: cannot load a job from ${path}: ${describe(error)}`)
    return 2
  }

  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  const timer = timeout === undefined ? undefined : setTimeout(stop, timeout)
  const { cache, close, onProgress, ...options } = job
  let soFar: WarmupProgress = { done: 0, loaded: 0, skipped: 0, failed: 0 }
  // Once stopped, the running keys get `grace` to finish; a load that ignores its signal must not
  // keep a cron job alive forever.
  const abandoned = new Promise<'abandoned'>((resolve) => {
    controller.signal.addEventListener(
      'abort',
      () => setTimeout(resolve, grace, 'abandoned').unref(),
      { once: true },
    )
  })
  let gaveUp = false
  try {
    const run = warmup(cache, {
      ...options,
      signal: controller.signal,
      onProgress: (progress) => {
        soFar = progress
        onProgress?.(progress)
      },
    })
    run.catch(() => {}) // Raced below: a rejection after the CLI gave up is nobody's to handle.
    const outcome = await Promise.race([run, abandoned])
    if (outcome === 'abandoned') {
      gaveUp = true
      const { loaded, skipped, failed } = soFar
      if (args.values.json) {
        console.log(JSON.stringify({ ...soFar, aborted: true, abandoned: true }))
      }
      console.error(
        `cacheguard-warmup: stopped, but keys were still loading ${grace} ms later (a loader that ignores its AbortSignal?); exiting without them after ${loaded} loaded, ${skipped} skipped, ${failed} failed`,
      )
      return 3
    }
    const report = outcome
    if (args.values.json) {
      const errors = report.errors.map(({ key, error }) => ({ key, error: describe(error) }))
      console.log(JSON.stringify({ ...report, errors }))
    } else {
      console.log(
        `cacheguard-warmup: ${report.total} keys, ${report.loaded} loaded, ${report.skipped} skipped, ${report.failed} failed in ${Math.round(report.durationMs)} ms${report.aborted ? ' (stopped early)' : ''}`,
      )
      for (const { key, error } of report.errors) console.error(`  ${key}: ${describe(error)}`)
    }
    return report.aborted ? 3 : report.failed > 0 ? 1 : 0
  } catch (error) {
    console.error(`cacheguard-warmup: ${describe(error)}`)
    return 2
  } finally {
    clearTimeout(timer)
    process.off('SIGTERM', stop)
    process.off('SIGINT', stop)
    const closed = Promise.resolve(close?.()).catch((error) => {
      console.error(`cacheguard-warmup: close() failed: ${describe(error)}`)
    })
    // After giving up on hung keys, close() (which may wait for them) gets the same grace.
    if (gaveUp) await Promise.race([closed, new Promise((r) => setTimeout(r, grace).unref())])
    else await closed
  }
}

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      export: { type: 'string' },
      timeout: { type: 'string' },
      grace: { type: 'string', default: '10s' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
}

function usage(problem: string): number {
  console.error(`cacheguard-warmup: ${problem}\n\n${USAGE}`)
  return 2
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message
  }
  return String(error)
}

// Exit with the code once the job's close() has run; a connection the job forgot to close must not
// keep a cron job alive.
process.exit(await main())
