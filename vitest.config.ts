import { defineConfig } from 'vitest/config'

// Inside the repo every @cacheguard package resolves to its TypeScript source through the
// `cacheguard-source` export condition, so tests need no build.
const conditions = ['cacheguard-source', 'node', 'import', 'module', 'default']
const nodeConditions = ['cacheguard-source', 'node']

export default defineConfig({
  resolve: { conditions },
  // Vitest hands the SSR conditions to Node (`--conditions`): given `import` (or `module`), Node's
  // require() of a dual package loads its ESM build, and router 2's require('is-promise') gets a
  // namespace instead of the function (NestJS's Express adapter fails every async route). Node
  // adds `import` or `require` itself, as the module asks.
  ssr: { resolve: { conditions: nodeConditions, externalConditions: nodeConditions } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    // Two cores: two workers, and every test file isolates its keys so files can run side by side.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    typecheck: { enabled: false },
  },
})
