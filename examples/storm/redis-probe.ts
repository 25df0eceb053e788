import { Redis } from 'ioredis'

/**
 * Connects to `url` and resolves the client if it connects and answers PING within `timeoutMs`,
 * else `undefined` (and the probe client is closed). Never throws, never hangs.
 *
 * @example
 * const redis = await connectIfAnswering(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
 */
export async function connectIfAnswering(url: string, timeoutMs = 500): Promise<Redis | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    // A peer that accepted the socket but never answers would hold the process for ioredis's
    // default 2 s after disconnect().
    disconnectTimeout: 100,
  })
  client.on('error', () => {})
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, 'timeout')
  })
  try {
    // One deadline for both steps: connectTimeout stops at the TCP handshake, and a peer that
    // accepts but never speaks RESP would leave connect() (its ready check) pending forever.
    const answer = await Promise.race([client.connect().then(() => client.ping()), deadline])
    if (answer === 'PONG') return client
  } catch {
    // Not answering: the caller falls back to the memory store.
  } finally {
    clearTimeout(timer)
  }
  // After a failed connect the client has already ended; disconnecting it again would arm the
  // disconnect timer on a socket that never closes again.
  if (client.status !== 'end') client.disconnect()
  return undefined
}

/**
 * Deletes every key matching `pattern` with SCAN + UNLINK (never KEYS, which blocks the server).
 *
 * @example
 * await deleteKeys(redis, 'storm:1a2b3c4d:*')
 */
export async function deleteKeys(client: Redis, pattern: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    if (keys.length > 0) await client.unlink(...keys)
    cursor = next
  } while (cursor !== '0')
}
