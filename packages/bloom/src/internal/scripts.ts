// Lua scripts of redisBloom, registered once per client with defineCommand. Every script takes
// the bits key and the meta key (same hash tag, so the same Cluster slot) and the filter's
// signature, and refuses to touch a filter whose stored signature differs: parameters that do not
// match would compute other positions and report real members absent.
//
// Replies: -1 when the filter does not exist (never created, or lost with a Redis restart), the
// stored signature (a string) on a mismatch, else the result.

/** KEYS: bits, meta. ARGV: signature, hashes k, then k positions per member. Reply: 0/1 per member. */
export const CHECK = `
local sig = redis.call('HGET', KEYS[2], 'sig')
if not sig then return -1 end
if sig ~= ARGV[1] then return sig end
local k = tonumber(ARGV[2])
local answers = {}
local i = 3
while i <= #ARGV do
  local present = 1
  for j = i, i + k - 1 do
    if redis.call('GETBIT', KEYS[1], ARGV[j]) == 0 then present = 0; break end
  end
  answers[#answers + 1] = present
  i = i + k
end
return answers
`

/** KEYS: bits, meta. ARGV: signature, member count, then the positions. Reply: members added so far. */
export const ADD = `
local sig = redis.call('HGET', KEYS[2], 'sig')
if not sig then return -1 end
if sig ~= ARGV[1] then return sig end
for i = 3, #ARGV do redis.call('SETBIT', KEYS[1], ARGV[i], 1) end
return redis.call('HINCRBY', KEYS[2], 'added', ARGV[2])
`

/**
 * Swaps a filter built beside the live one into place, in one atomic step: no check ever sees a
 * half-built filter. KEYS: bits, meta, next bits, next meta. An empty build has no bits key.
 */
export const SWAP = `
if redis.call('EXISTS', KEYS[4]) == 0 then return -1 end
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RENAME', KEYS[3], KEYS[1])
else
  redis.call('DEL', KEYS[1])
end
redis.call('RENAME', KEYS[4], KEYS[2])
redis.call('PERSIST', KEYS[1])
redis.call('PERSIST', KEYS[2])
return 1
`
