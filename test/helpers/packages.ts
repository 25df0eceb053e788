// The workspace packages, re-exported for tests that live inside another package: a package's
// own dependencies stay what it really needs at run time.
export * from '@cacheguard/core'
export * from '@cacheguard/redis'
