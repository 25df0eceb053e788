import { createHash } from 'node:crypto'
import {
  FENCE_COUNTER_RETENTION_MS,
  fenceCounterKey,
  NEXT_FENCE_LUA,
  SET_FENCED_LUA,
} from '@cacheguard/redis/fencing-scripts'

// The scripts and the counter's key are @cacheguard/redis's own, so entries and fence counters
// written through node-redis and through ioredis are the same data, refused and accepted alike.

const COUNTER_RETENTION_MS = String(FENCE_COUNTER_RETENTION_MS)

/** What a script needs of a node-redis client or cluster (with the default type mapping). */
export interface ScriptClient {
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
}

/** A Lua script run by its SHA1, sent in full once per server that does not know it yet. */
function script(lua: string) {
  const sha1 = createHash('sha1').update(lua).digest('hex')
  return {
    lua,
    sha1,
    // node-redis registers scripts only when the client is created (`createClient({ scripts })`),
    // and the client is the user's: so EVALSHA, and EVAL (which also caches the script on that
    // server) when the server answers NOSCRIPT, as after a restart or SCRIPT FLUSH.
    async run(client: ScriptClient, keys: string[], args: string[]): Promise<unknown> {
      try {
        return await client.evalSha(sha1, { keys, arguments: args })
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
        return client.eval(lua, { keys, arguments: args })
      }
    },
  }
}

/** The fencing scripts, by SHA1 (the test checks the server knows them after use). */
export const scripts = { setFenced: script(SET_FENCED_LUA), nextFence: script(NEXT_FENCE_LUA) }

/**
 * The fencing half of the store: `nextFence` and `setFenced`, each one atomic script. Keys are the
 * store's keys (prefix included); `clientPrefix` is a node-redis `keyPrefix` the client itself
 * adds to every key it sends.
 */
export function nodeRedisFencing(
  client: ScriptClient,
  prefix: string,
  isCluster: boolean,
  clientPrefix: string,
) {
  return {
    async nextFence(key: string): Promise<number> {
      const counter = fenceCounterKey(key, prefix, isCluster, clientPrefix)
      return Number(await scripts.nextFence.run(client, [key, counter], [COUNTER_RETENTION_MS]))
    },
    async setFenced(key: string, value: string, ttlMs: number, fence: number): Promise<boolean> {
      const reply = await scripts.setFenced.run(
        client,
        [key],
        [value, String(ttlMs), String(fence)],
      )
      return reply === 1
    },
  }
}
