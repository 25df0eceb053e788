export type { HeldLock, RedlockLike as WarmupLock } from '@cacheguard/lock'
export type { WarmupJob } from './internal/job.js'
export type { KeySource } from './internal/keys.js'
export {
  type ScheduleWarmupOptions,
  type SkippedTick,
  scheduleWarmup,
  type WarmupSchedule,
} from './schedule-warmup.js'
export { type WarmupOptions, type WarmupProgress, type WarmupReport, warmup } from './warmup.js'
