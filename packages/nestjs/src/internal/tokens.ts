/** The provider of the `RouteCaches` the interceptor answers from (the module's options). */
export const CACHEGUARD_ROUTES = Symbol('cacheguard:routes')
