export {
  absorbErrorEvents,
  type Claim,
  claimLock,
  type HeldLock,
  type RedlockLike,
} from './claim-lock.js'
export {
  type LockGuard,
  type LockGuardOptions,
  type LockGuardStats,
  lockGuard,
  lockKey,
} from './lock-guard.js'
