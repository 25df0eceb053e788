import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { connectRedis, redisUrl, uniquePrefix } from '../../../test/helpers/redis.js'

const redis = connectRedis()
const prefix = uniquePrefix('cli')
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url))
const jobs = fileURLToPath(new URL('../../../test/fixtures/warmup-job.ts', import.meta.url))

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
})

const env = (name: string) => ({
  ...process.env,
  REDIS_URL: redisUrl(),
  JOB_PREFIX: `${prefix}${name}:`,
})
const nodeArgs = (...args: string[]) => [
  '--import',
  'tsx',
  '--conditions=cacheguard-source',
  cli,
  ...args,
]

/** Runs the CLI to its end; resolves with its exit code and output. */
function runCli(name: string, ...args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, nodeArgs(...args), { env: env(name) }, (error, stdout, stderr) => {
      done({ code: error ? (error.code as number) : 0, stdout, stderr })
    })
  })
}

describe('cacheguard-warmup', () => {
  it('runs the default export once, prints the report and exits 0', async () => {
    const { code, stdout } = await runCli('ok', jobs, '--json')
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ total: 20, loaded: 20, failed: 0, aborted: false })
    expect(await redis.keys(`${prefix}ok:*`)).toHaveLength(20)
  })

  it('exits 1 and names the failed keys when some keys fail', async () => {
    const { code, stdout, stderr } = await runCli('failing', jobs, '--export', 'failing')
    expect(code).toBe(1)
    expect(stdout).toContain('20 keys, 16 loaded, 0 skipped, 4 failed')
    expect(stderr).toContain('item:5: no row for item:5')
  })

  // Four tsx processes one after the other, seconds each on a loaded two-core machine.
  it('exits 2 with a clear message for a missing module, a non-job export or bad flags', async () => {
    const missing = await runCli('x', 'no/such/module.js')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('cannot load a job from no/such/module.js')
    const notAJob = await runCli('x', jobs, '--export', 'notAJob')
    expect(notAJob.code).toBe(2)
    expect(notAJob.stderr).toContain('`notAJob` is not a job')
    const badFlag = await runCli('x', jobs, '--timeout', 'soon')
    expect(badFlag.code).toBe(2)
    expect(badFlag.stderr).toContain('Expected --timeout')
    expect((await runCli('x')).stderr).toContain('Usage: cacheguard-warmup')
  }, 90_000)

  it('stops starting keys on SIGTERM, closes the job and exits 3', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      nodeArgs(jobs, '--export', 'slow', '--json'),
      {
        env: env('slow'),
      },
    )
    let stdout = ''
    child.stdout?.on('data', (chunk) => {
      stdout += chunk
    })
    await new Promise<void>((started) =>
      child.stderr?.on('data', (chunk) => String(chunk).includes('started') && started()),
    )
    child.kill('SIGTERM')
    const code = await new Promise((exited) => child.on('exit', exited))
    expect(code).toBe(3)
    const report = JSON.parse(stdout)
    expect(report.aborted).toBe(true)
    expect(report.loaded).toBeLessThan(200)
    expect(await redis.keys(`${prefix}slow:*`)).toHaveLength(report.loaded)
  })

  it('exits 3 after --grace when the running loads ignore their signal, instead of hanging', async () => {
    const started = Date.now()
    const { code, stdout, stderr } = await runCli(
      'hung',
      jobs,
      '--export',
      'hung',
      '--timeout',
      '300ms',
      '--grace',
      '300ms',
      '--json',
    )
    expect(code).toBe(3)
    expect(JSON.parse(stdout)).toMatchObject({ loaded: 0, aborted: true, abandoned: true })
    expect(stderr).toContain('keys were still loading 300 ms later')
    // It gave up on loads that never end: a hang would have met the test's own timeout.
    expect(Date.now() - started).toBeLessThan(25_000)
  }, 60_000)

  it('refuses a --grace that is not a duration', async () => {
    const { code, stderr } = await runCli('x', jobs, '--grace', 'later')
    expect(code).toBe(2)
    expect(stderr).toContain('Expected --grace to be a duration such as 10s, got `later`')
  })

  it('stops at --timeout and exits 3', async () => {
    const { code, stdout } = await runCli(
      'timeout',
      jobs,
      '--export',
      'slow',
      '--timeout',
      '300ms',
      '--json',
    )
    expect(code).toBe(3)
    expect(JSON.parse(stdout).loaded).toBeLessThan(200)
  })
})
