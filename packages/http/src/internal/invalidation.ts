import type { HttpRequest, HttpResponse } from '../types.js'

/** RFC 9110 §9.2.1: the methods known to be safe; any other one invalidates (RFC 9111 §4.4). */
export const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/**
 * The paths (with query) of a response's `Location` and `Content-Location` that are on the
 * request's origin: relative ones, or absolute ones naming the request's `Host`.
 */
export function sameOriginUrls(request: HttpRequest, response: HttpResponse): string[] {
  const host = String(request.headers.host ?? 'origin.invalid')
  const base = `http://${host}${request.url.startsWith('/') ? request.url : `/${request.url}`}`
  const urls: string[] = []
  for (const name of ['location', 'content-location']) {
    const value = response.headers[name]
    const text = Array.isArray(value) ? value[0] : value
    if (text === undefined) continue
    let url: URL
    try {
      url = new URL(text.trim(), base)
    } catch {
      continue
    }
    if (url.host.toLowerCase() !== host.toLowerCase()) continue
    urls.push(`${url.pathname}${url.search}`)
  }
  return urls
}
