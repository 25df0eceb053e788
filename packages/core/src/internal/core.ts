import type { CacheOptions } from '../options.js'
import { type CacheState, createState } from './cache-state.js'
import { decodedReader } from './decoded-entries.js'
import type { Entry } from './envelope.js'
import { createMemoryTier, type MemoryTier } from './memory-tier.js'
import { createRemoteTier, type RemoteTier } from './remote-tier.js'
import { resolveSettings } from './resolve-settings.js'
import type { Settings } from './settings.js'

/** One cache's parts, handed down the read and write paths: what it was told, what it holds. */
export interface Core {
  readonly settings: Settings
  readonly state: CacheState
  /** The memory tier (`l1`), when there is one. */
  readonly memory: MemoryTier | undefined
  readonly remote: RemoteTier
  /**
   * A synchronous read of a decoded entry, when one is possible: from a `memoryStore` `l1`, or from
   * the store itself when it is a `memoryStore`. A hit read this way waits for no promise.
   */
  readonly peek: ((storeKey: string) => Entry | string | undefined) | undefined
  /** `peek` reads the store itself: what it does not find, the store does not have. */
  readonly peekIsStore: boolean
}

/** Validates the options and builds the parts of a cache. */
export function createCore(options: CacheOptions): Core {
  const settings = resolveSettings(options)
  const state = createState(settings)
  const memory =
    settings.l1 === undefined ? undefined : createMemoryTier(settings.l1, settings.l1MaxAgeMs)
  const { store } = settings
  const storePeek = memory === undefined ? decodedReader(store) : undefined
  return {
    settings,
    state,
    memory,
    remote: createRemoteTier(settings, state),
    peek: storePeek ?? memory?.peek,
    peekIsStore: storePeek !== undefined,
  }
}
