import type { HttpRequest, Validators } from '../types.js'

/** The request headers that make a GET or HEAD conditional (RFC 9110 §13.1). */
export const CONDITIONAL_HEADERS: readonly string[] = [
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
]

/**
 * The request headers a handler run by the cache sees. What it produces may be stored and shared
 * with every request for the URL, so on GET and HEAD it must not answer one client's validators
 * (a 304 or 412 means nothing to others): they are removed, and the cache answers them from the
 * stored response. When the cache revalidates a stored response, its own `validators` take their
 * place, and the handler may answer 304. Other methods see their headers as they came.
 */
export function handlerHeaders(
  request: HttpRequest,
  validators?: Validators,
): HttpRequest['headers'] {
  if (!/^(GET|HEAD)$/i.test(request.method)) return request.headers
  const headers: HttpRequest['headers'] = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (!CONDITIONAL_HEADERS.includes(name.toLowerCase())) headers[name] = value
  }
  return validators === undefined ? headers : Object.assign(headers, validators)
}
