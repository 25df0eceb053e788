/**
 * `options` without its `undefined` fields, so that a spread over defaults keeps the defaults
 * (`{ ...DEFAULTS, ...withoutUndefined(options) }`): `{ ttl: undefined }` means "the default".
 * For guards and stores that apply their defaults the same way as the cache.
 *
 * @example
 * const o = { ...DEFAULTS, ...withoutUndefined(options) }
 */
export function withoutUndefined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T
}
