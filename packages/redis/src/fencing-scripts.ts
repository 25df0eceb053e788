import calculateSlot from 'cluster-key-slot'

// The fencing scripts every Redis store of cacheguard runs, whatever its client (ioredis here,
// node-redis in @cacheguard/node-redis): one text, so the entries and fence counters written
// through either client are the same data, refused and accepted the same way.

// The fence of a stored entry: the sixth field of a `cg2|` header (see core's envelope), 0 for
// anything else, so a text that is not an entry never blocks a write.
const FENCE_OF = `
local function fence_of(text)
  if not text then return 0 end
  return tonumber(string.match(text, '^cg2|%d+|%d+|%d+|%d+|(%d+)|')) or 0
end
`

/**
 * Lua. KEYS[1]: the entry. ARGV: the new entry, its TTL in ms, its fence. Writes unless the stored
 * entry carries a greater fence: a lock holder that lost its lock cannot overwrite a newer value.
 * Returns 1 when it wrote, 0 when it refused.
 */
export const SET_FENCED_LUA = `${FENCE_OF}
if fence_of(redis.call('GET', KEYS[1])) > tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`

/**
 * Lua. KEYS[1]: the entry, KEYS[2]: its counter (`fenceCounterKey`), in the same hash slot.
 * ARGV[1]: how long the counter outlives its last use, in ms. The next token is above every token
 * issued and above the stored entry's fence, so a counter that expired (or was evicted) can never
 * issue an older token.
 */
export const NEXT_FENCE_LUA = `${FENCE_OF}
local n = redis.call('INCR', KEYS[2])
local stored = fence_of(redis.call('GET', KEYS[1]))
if stored >= n then
  n = stored + 1
  redis.call('SET', KEYS[2], n)
end
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return n
`

/** How long a fence counter outlives its last use: far longer than any lock is held. */
export const FENCE_COUNTER_RETENTION_MS = 24 * 60 * 60 * 1000

/**
 * The fence counter of an entry's key (`prefix` included), in the entry's hash slot so one script
 * can touch both on a Cluster: a key with a hash tag keeps it when suffixed; a key without one
 * becomes the tag itself. It starts with the store's `prefix`, so key patterns (ACLs, cleanup by
 * prefix) cover it. `clientPrefix` is a prefix the client itself adds to every key it sends
 * (ioredis and node-redis `keyPrefix`): the slot is decided by the key as sent. Throws for the
 * rare key that cannot share its slot on a Cluster (unbalanced braces and no hash tag: `a}b`).
 *
 * @example
 * fenceCounterKey('app:user:1', 'app:', true) // 'app:{app:user:1}:fence'
 */
export function fenceCounterKey(
  key: string,
  prefix: string,
  isCluster: boolean,
  clientPrefix = '',
): string {
  const sent = clientPrefix + key
  const open = sent.indexOf('{')
  const close = open === -1 ? -1 : sent.indexOf('}', open + 1)
  const counter = close > open + 1 ? `${key}:fence` : `${prefix}{${sent}}:fence`
  if (isCluster && calculateSlot(clientPrefix + counter) !== calculateSlot(sent)) {
    throw new Error(
      `The key \`${key.slice(0, 64)}\` has braces but no hash tag, so its fence counter cannot share its Cluster slot`,
    )
  }
  return counter
}
