// The positions of a member in a filter of `bits` bits with `hashes` hash functions.
//
// PINNED: every process and every version of cacheguard must compute the same positions for the
// same member, or a filter shared in Redis would report real members absent. Changing anything
// here (seeds, constants, the order of code units, the double hashing) requires a new
// HASH_VERSION, which redisBloom stores beside the bits and checks on open.
export const HASH_VERSION = 1

const SEED_A = 0x9747b28c
const SEED_B = 0x3c6ef372

function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

function mixBlock(h: number, block: number): number {
  let k = Math.imul(block, 0xcc9e2d51)
  k = (k << 15) | (k >>> 17)
  k = Math.imul(k, 0x1b873593)
  h ^= k
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

/**
 * Two independent 32-bit MurmurHash3-style hashes of a string's UTF-16 code units, two units per
 * 32-bit block, in one pass. Pure 32-bit integer arithmetic (`Math.imul`): no 64-bit emulation,
 * which is what makes bloom-filters' default xxhash slow.
 */
export function hashPair(member: string): [number, number] {
  let a = SEED_A
  let b = SEED_B
  const length = member.length
  let i = 0
  for (; i + 1 < length; i += 2) {
    const block = member.charCodeAt(i) | (member.charCodeAt(i + 1) << 16)
    a = mixBlock(a, block)
    b = mixBlock(b, block ^ 0x5bd1e995)
  }
  if (i < length) {
    const block = member.charCodeAt(i)
    a = mixBlock(a, block)
    b = mixBlock(b, block ^ 0x5bd1e995)
  }
  // h2 odd, so that it is never 0 and the positions never collapse to one bit.
  return [fmix32(a ^ length), (fmix32(b ^ length) | 1) >>> 0]
}

/**
 * The `hashes` bit positions of `member`, by double hashing (Kirsch and Mitzenmacher, "Less
 * hashing, same performance: building a better Bloom filter", 2006): position i = (h1 + i * h2)
 * mod bits. Exact in doubles: i * h2 stays far below 2^53.
 */
export function positions(member: string, bits: number, hashes: number): number[] {
  const [h1, h2] = hashPair(member)
  const out = new Array<number>(hashes)
  for (let i = 0; i < hashes; i++) out[i] = (h1 + i * h2) % bits
  return out
}
