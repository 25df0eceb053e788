import type { Cache } from '@cacheguard/core'
import { type HttpCacheOptions, type RouteCaches, routeCaches } from '@cacheguard/http'
import {
  type DynamicModule,
  Inject,
  type InjectionToken,
  Module,
  type ModuleMetadata,
  type OnModuleInit,
  type OptionalFactoryDependency,
  type Provider,
} from '@nestjs/common'
import { APP_INTERCEPTOR, DiscoveryModule, DiscoveryService, Reflector } from '@nestjs/core'
import { CACHE_ROUTE } from './cache-route.js'
import { CacheGuardInterceptor } from './cacheguard-interceptor.js'
import { CACHEGUARD_ROUTES } from './internal/tokens.js'

/** Options of `CacheGuardModule.forRoot`: the cache, `global`, and the options of `httpCache`. */
export interface CacheGuardModuleOptions extends HttpCacheOptions {
  /** The cache that holds the responses, from `createCache` (created once). Required. */
  cache: Cache
  /**
   * Bind the interceptor to every route of the app (as `APP_INTERCEPTOR`); a route then opts out
   * with `@CacheRoute(false)`. `false`: bind it where it is wanted with `@UseInterceptors`.
   * @default false
   */
  global?: boolean
}

/** Options of `CacheGuardModule.forRootAsync`: the module's options from a factory (a cache over an injected Redis client). */
export interface CacheGuardModuleAsyncOptions {
  /** As in `forRoot`; known before the factory runs. @default false */
  global?: boolean
  /** Modules whose providers the factory is injected with. @default [] */
  imports?: ModuleMetadata['imports']
  /** What the factory is injected with. @default [] */
  inject?: (InjectionToken | OptionalFactoryDependency)[]
  /** Makes the options (`cache` and those of `httpCache`; `global` is not read here). */
  useFactory: (
    ...args: never[]
  ) => Omit<CacheGuardModuleOptions, 'global'> | Promise<Omit<CacheGuardModuleOptions, 'global'>>
}

/**
 * The HTTP cache of `@cacheguard/http` for a NestJS 11 app: provides `CacheGuardInterceptor` to
 * every module (bound globally with `global: true`), and checks every `@CacheRoute` options of the
 * app's controllers when the app starts. Bad module options throw where `forRoot` is called.
 *
 * @example
 * @Module({
 *   imports: [CacheGuardModule.forRoot({ cache, global: true, ttl: '30s' })],
 *   controllers: [ProductsController],
 * })
 * export class AppModule {}
 */
@Module({})
export class CacheGuardModule implements OnModuleInit {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(CACHEGUARD_ROUTES) private readonly routes: RouteCaches,
  ) {}

  /** The module with these options, checked now. */
  static forRoot(options: CacheGuardModuleOptions): DynamicModule {
    const { global = false, ...rest } = options ?? ({} as CacheGuardModuleOptions)
    checkGlobal(global)
    return dynamic(global, { provide: CACHEGUARD_ROUTES, useValue: cacheRoutes(rest) }, [])
  }

  /** The module with options a factory makes, checked when the app starts. */
  static forRootAsync(options: CacheGuardModuleAsyncOptions): DynamicModule {
    const { global = false, imports = [], inject = [], useFactory } = options
    checkGlobal(global)
    if (typeof useFactory !== 'function') {
      throw new TypeError(`Expected \`useFactory\` to be a function, got ${typeof useFactory}`)
    }
    const provider: Provider = {
      provide: CACHEGUARD_ROUTES,
      useFactory: async (...args: never[]) => cacheRoutes(await useFactory(...args)),
      inject,
    }
    return dynamic(global, provider, imports)
  }

  /** Checks the options of every `@CacheRoute` on the app's controllers and their handlers. */
  onModuleInit(): void {
    for (const { metatype } of this.discovery.getControllers()) {
      if (typeof metatype !== 'function') continue
      const name = metatype.name
      this.routes.of(this.reflector.get(CACHE_ROUTE, metatype), () => `@CacheRoute() of ${name}`)
      const prototype = metatype.prototype as Record<string, unknown>
      for (const method of Object.getOwnPropertyNames(prototype)) {
        const handler = method === 'constructor' ? undefined : prototype[method]
        if (typeof handler !== 'function') continue
        const setting = this.reflector.get(CACHE_ROUTE, handler)
        if (setting !== undefined)
          this.routes.of(setting, () => `@CacheRoute() of ${name}.${method}`)
      }
    }
  }
}

function dynamic(
  global: boolean,
  routes: Provider,
  imports: NonNullable<ModuleMetadata['imports']>,
): DynamicModule {
  return {
    module: CacheGuardModule,
    // The interceptor is resolved in whichever module binds it with @UseInterceptors.
    global: true,
    imports: [DiscoveryModule, ...imports],
    providers: [
      routes,
      CacheGuardInterceptor,
      ...(global ? [{ provide: APP_INTERCEPTOR, useExisting: CacheGuardInterceptor }] : []),
    ],
    exports: [CACHEGUARD_ROUTES, CacheGuardInterceptor],
  }
}

/** The module's HTTP caches: `cache` and the options of `httpCache`, checked. */
function cacheRoutes(options: Omit<CacheGuardModuleOptions, 'global'>): RouteCaches {
  const { cache, ...http } = options ?? {}
  return routeCaches(cache, http, true)
}

function checkGlobal(global: unknown): void {
  if (typeof global !== 'boolean') {
    throw new TypeError(
      `Expected \`global\` to be a boolean, got ${String(global)} (${typeof global})`,
    )
  }
}
