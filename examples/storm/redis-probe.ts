import { Redis } from 'ioredis'

/**
 * Connects to `url` and resolves the client if it answers PING within 500 ms, else `undefined`
 * (and the probe client is closed). Never throws, never hangs.
 */
export async function connectIfAnswering(url: string): Promise<Redis | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    const pong = await Promise.race([
      client.ping(),
      new Promise<string>((resolve) => setTimeout(resolve, 500, 'timeout').unref()),
    ])
    if (pong === 'PONG') return client
  } catch {
    // Not answering: the caller falls back to the memory store.
  }
  client.disconnect()
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
