import { type HttpRequest, handlerHeaders, type Validators } from '@cacheguard/http'

/**
 * A web-standard `Request` as the HTTP cache sees it: the method, the path and query (never the
 * host: one cache may serve several), and the headers with lower-case names (a `Headers` joins a
 * repeated field with `, `, as HTTP allows for every field a request may repeat).
 */
export function toHttpRequest(request: Request): HttpRequest {
  const headers: Record<string, string> = {}
  request.headers.forEach((value, name) => {
    headers[name] = value
  })
  return { method: request.method, url: pathAndQuery(request.url), headers }
}

/**
 * The path and query of a `Request`'s URL, which is always absolute and normalized (WHATWG URL):
 * what follows the authority, without the fragment. Cheaper than parsing it again with `URL`.
 */
function pathAndQuery(url: string): string {
  const scheme = url.indexOf('://')
  const start = url.indexOf('/', scheme === -1 ? 0 : scheme + 3)
  if (start === -1) return '/'
  const hash = url.indexOf('#', start)
  return hash === -1 ? url.slice(start) : url.slice(start, hash)
}

/**
 * The request the handler sees when the cache runs it: on GET and HEAD, without the client's
 * validators and with the cache's own when it revalidates (the rule is @cacheguard/http's
 * `handlerHeaders`), since what it answers may be shared with every client. Other methods keep
 * the request as it came, body and all.
 */
export function handlerRequest(
  request: Request,
  seen: HttpRequest,
  validators: Validators | undefined,
): Request {
  if (!/^(GET|HEAD)$/i.test(seen.method)) return request
  const headers = new Headers()
  for (const [name, value] of Object.entries(handlerHeaders(seen, validators))) {
    if (value !== undefined) headers.set(name, [value].flat().join(', '))
  }
  return new Request(request, { headers })
}
