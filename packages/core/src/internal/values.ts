import type { CacheContext } from './context.js'
import { decodePayload } from './envelope.js'
import { reportCorrupt } from './tiers.js'

/** Decodes a stored payload; a payload that does not parse is a corrupt entry (a miss). */
export function decodeStored(
  ctx: CacheContext,
  key: string,
  payload: string | undefined,
): { ok: true; value: unknown } | { ok: false } {
  if (payload === undefined) return { ok: true, value: undefined }
  const decoded = decodePayload(ctx.serializer, payload)
  if (!decoded.ok) reportCorrupt(ctx, key, 'the payload does not deserialize', decoded.error)
  return decoded
}

/** Freezes a decoded value and everything in it, once, so it can be handed to many callers. */
export function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return
  Object.freeze(value)
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
}
