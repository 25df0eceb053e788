export { describeCacheOverStore } from './cache-suite.js'
export { runStoreConformance } from './run-conformance.js'
export { type ConformanceOptions, describeStoreContract, freshKey } from './store-suite.js'
