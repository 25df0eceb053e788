export { type BatchLoaderOptions, batchLoader } from './batch-loader.js'
export {
  type InvalidationBus,
  type InvalidationMessage,
  type InvalidationRecord,
  memoryBus,
} from './bus.js'
export { type Cache, createCache } from './create-cache.js'
export { describeValue } from './describe-value.js'
export { type Duration, parseDuration } from './duration.js'
export {
  BatchResultError,
  BloomConfigMismatchError,
  CacheClosedError,
  CacheGuardError,
  type CacheGuardErrorOptions,
  CircuitOpenError,
  CorruptEntryError,
  type ErrorCode,
  errors,
  GuardError,
  InvalidKeyError,
  InvalidTagError,
  LoaderError,
  LoadTimeoutError,
  LockLostError,
  LockTimeoutError,
  LockUnavailableError,
  OverloadedError,
  SerializeError,
  StoreError,
  StoreTimeoutError,
  ValueTooLargeError,
} from './errors.js'
export type {
  CacheEventName,
  CacheEvents,
  CacheStats,
  InvalidationEventKind,
  Listener,
  Operation,
} from './events.js'
export type { Guard, GuardContext, GuardWriteContext, StoredEntry } from './guard.js'
export type { BreakerState } from './internal/breaker.js'
export { type MemoryStoreOptions, memoryStore } from './memory-store.js'
export type {
  BatchLoadContext,
  BatchResult,
  CacheOptions,
  EntryOptions,
  GetOrSetManyOptions,
  Loader,
  LoaderContext,
  LoadTimeouts,
  ManyLoader,
} from './options.js'
export { jsonSerializer, type Serializer } from './serializer.js'
export { type CacheStore, fenceOf, type StoreEntry } from './store.js'
export { withoutUndefined } from './without-undefined.js'
