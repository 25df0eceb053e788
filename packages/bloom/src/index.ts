export type { Bloom, BloomCapacityWarning, BloomInfo } from './bloom.js'
export { type BloomGuardOptions, bloomGuard } from './bloom-guard.js'
export { type MemoryBloom, type MemoryBloomOptions, memoryBloom } from './memory-bloom.js'
