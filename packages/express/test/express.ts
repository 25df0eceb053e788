// Loads Express for the tests in this package, past a Vitest quirk: vitest.config.ts's
// `externalConditions` start the workers with `--conditions import`, under which Node's require()
// takes the "import" entry of a dual package. Express 5's router then receives is-promise's ES
// module namespace instead of its function, and every request fails with "isPromise is not a
// function". This puts the CommonJS build where require() looks, then loads Express. Servers
// started as child processes (the example, the benchmark) are not affected.
import { createRequire, Module } from 'node:module'
import type Express from 'express'

const require = createRequire(import.meta.url)
const fromRouter = createRequire(createRequire(require.resolve('express')).resolve('router'))
const resolved = fromRouter.resolve('is-promise')
if (resolved.endsWith('.mjs')) {
  const module = new Module(resolved)
  module.filename = resolved
  module.loaded = true
  module.exports = fromRouter(resolved.replace(/\.mjs$/, '.js'))
  require.cache[resolved] = module
}

export const express: typeof Express = require('express')
