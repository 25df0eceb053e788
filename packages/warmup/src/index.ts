export type { KeySource } from './internal/keys.js'
export { type WarmupOptions, type WarmupProgress, type WarmupReport, warmup } from './warmup.js'
