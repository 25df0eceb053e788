import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Cluster } from 'ioredis'
import { type RedisServer, startRedisServer } from './redis-server.js'

const run = promisify(execFile)

/** A Redis Cluster of real `redis-server` masters, started for a test and stopped after it. */
export interface RedisCluster {
  readonly nodes: ReadonlyArray<{ host: string; port: number }>
  /** Opens an ioredis Cluster client to it; the caller quits it. */
  connect(): Cluster
  stop(): Promise<void>
}

/**
 * Starts `masters` cluster-enabled servers on free ports, joins them with
 * `redis-cli --cluster create` (no replicas) and waits until every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const servers: RedisServer[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop()))
  }
  try {
    for (let i = 0; i < masters; i++) {
      servers.push(
        await startRedisServer([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '2000',
        ]),
      )
    }
    const addresses = servers.map((server) => `127.0.0.1:${server.port}`)
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      {
        timeout: 30_000,
      },
    )
    await waitForClusterOk(servers)
  } catch (error) {
    await stop()
    throw error
  }
  const nodes = servers.map((server) => ({ host: '127.0.0.1', port: server.port }))
  return {
    nodes,
    connect: () => {
      const cluster = new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 1 } })
      cluster.on('error', () => {})
      return cluster
    },
    stop,
  }
}

async function waitForClusterOk(servers: RedisServer[]): Promise<void> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const states = await Promise.all(
      servers.map(async (server) => {
        const { stdout } = await run('redis-cli', ['-p', String(server.port), 'cluster', 'info'])
        return stdout.includes('cluster_state:ok')
      }),
    )
    if (states.every(Boolean)) return
    if (Date.now() > deadline)
      throw new Error('the Redis Cluster did not reach cluster_state:ok in 20 s')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
