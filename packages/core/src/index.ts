export { type Cache, createCache } from './create-cache.js'
export { type Duration, parseDuration } from './duration.js'
export {
  BloomConfigMismatchError,
  CacheGuardError,
  type CacheGuardErrorOptions,
  CorruptEntryError,
  type ErrorCode,
  errors,
  GuardError,
  InvalidKeyError,
  LoaderError,
  OverloadedError,
  SerializeError,
  StoreError,
  StoreTimeoutError,
} from './errors.js'
export type { CacheEventName, CacheEvents, CacheStats, Listener, Operation } from './events.js'
export type { Guard, GuardContext, GuardWriteContext } from './guard.js'
export { type MemoryStoreOptions, memoryStore } from './memory-store.js'
export type { CacheOptions, EntryOptions, Loader, LoaderContext } from './options.js'
export { jsonSerializer, type Serializer } from './serializer.js'
export type { CacheStore, StoreEntry } from './store.js'
