import type { NextConfig } from 'next'

// Inside this repository the @cacheguard packages are used from their TypeScript source, as the
// tests and the other examples use them (Node's `cacheguard-source` condition). Turbopack takes no
// custom conditions, so each package is aliased to its source here; the `.js` specifiers inside
// resolve to `.ts` because tsconfig.json says NodeNext. An app using the published packages needs
// none of this.
const source = (name: string) => `../../packages/${name}/src/index.ts`

const config: NextConfig = {
  turbopack: {
    resolveAlias: {
      '@cacheguard/core': source('core'),
      '@cacheguard/http': source('http'),
      '@cacheguard/fetch': source('fetch'),
      '@cacheguard/redis': source('redis'),
    },
  },
  // Next 16 would otherwise write an AGENTS.md into the example.
  agentRules: false,
  experimental: { agentUpgrade: false },
}

export default config
