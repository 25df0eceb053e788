import { defineConfig } from 'vitest/config'

// Inside the repo every @cacheguard package resolves to its TypeScript source through the
// `cacheguard-source` export condition, so tests need no build.
const conditions = ['cacheguard-source', 'node', 'import', 'module', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
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
