export type {
  Bloom,
  BloomCapacityWarning,
  BloomInfo,
  MemberSource,
  RebuildOptions,
} from './bloom.js'
export { type BloomGuardOptions, bloomGuard } from './bloom-guard.js'
export { type MemoryBloom, type MemoryBloomOptions, memoryBloom } from './memory-bloom.js'
export { type RedisBloom, type RedisBloomOptions, redisBloom } from './redis-bloom.js'
export { type SeedReport, seedBloom } from './seed-bloom.js'
