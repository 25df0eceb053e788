import { headerList } from './stored.js'

/**
 * Whether `If-None-Match` matches the stored `ETag`, by the weak comparison RFC 9110 §13.1.2
 * prescribes for it: `W/"x"` and `"x"` match; `*` matches any current representation.
 */
export function noneMatch(
  ifNoneMatch: string | string[] | undefined,
  etag: string | undefined,
): boolean {
  if (ifNoneMatch === undefined || etag === undefined) return false
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '')
  const stored = opaque(etag)
  return headerList(ifNoneMatch).some((tag) => tag === '*' || opaque(tag) === stored)
}
