import type { Cluster, Redis } from 'ioredis'
import {
  FENCE_COUNTER_RETENTION_MS,
  fenceCounterKey,
  NEXT_FENCE_LUA,
  SET_FENCED_LUA,
} from '../fencing-scripts.js'

interface FencingCommands {
  cacheguardSetFenced(key: string, value: string, ttlMs: number, fence: number): Promise<number>
  cacheguardNextFence(key: string, counter: string, retentionMs: number): Promise<number>
}

/** The fencing half of a Redis store: `nextFence` and `setFenced`, each one atomic script. */
export function redisFencing(client: Redis | Cluster, prefix: string, isCluster: boolean) {
  // ioredis adds its `keyPrefix` to every key, script keys included: the slot is the sent key's.
  const options = (
    client as { options?: { keyPrefix?: string; redisOptions?: { keyPrefix?: string } } }
  ).options
  const clientPrefix = options?.keyPrefix ?? options?.redisOptions?.keyPrefix ?? ''
  // Registered once per client (defineCommand sends EVALSHA, falling back to EVAL once).
  const commands = client as unknown as FencingCommands
  if (typeof commands.cacheguardSetFenced !== 'function') {
    client.defineCommand('cacheguardSetFenced', { numberOfKeys: 1, lua: SET_FENCED_LUA })
  }
  if (typeof commands.cacheguardNextFence !== 'function') {
    client.defineCommand('cacheguardNextFence', { numberOfKeys: 2, lua: NEXT_FENCE_LUA })
  }
  return {
    async nextFence(key: string): Promise<number> {
      return Number(
        await commands.cacheguardNextFence(
          key,
          fenceCounterKey(key, prefix, isCluster, clientPrefix),
          FENCE_COUNTER_RETENTION_MS,
        ),
      )
    },
    async setFenced(key: string, value: string, ttlMs: number, fence: number): Promise<boolean> {
      return (await commands.cacheguardSetFenced(key, value, ttlMs, fence)) === 1
    },
  }
}
