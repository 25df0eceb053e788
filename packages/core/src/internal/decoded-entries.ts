import type { CacheStore } from '../store.js'
import type { Entry } from './envelope.js'

/** A synchronous read of a decoded entry; a reason string when the text there is not an envelope. */
export type DecodedReader = (storeKey: string) => Entry | string | undefined

// `memoryStore` decodes an envelope's header once, when it is written, and keeps the entry beside
// the text: a hit then parses no header and waits for no promise. Its reader is registered here,
// by store object, rather than put on the store: the `CacheStore` contract stays what third-party
// stores implement, and a wrapper built by spreading a memory store (`{ ...store, get }`) is
// another object, read through its own `get` as it expects.
const readers = new WeakMap<CacheStore, DecodedReader>()

/** Records that `store` keeps its entries decoded, readable at once by `reader`. */
export function keepsDecoded(store: CacheStore, reader: DecodedReader): void {
  readers.set(store, reader)
}

/** The synchronous reader of a store that keeps its entries decoded; `undefined` for others. */
export function decodedReader(store: CacheStore | undefined): DecodedReader | undefined {
  return store === undefined ? undefined : readers.get(store)
}
