// The shared HTTP scenario suite over NestJS 11 on the Fastify platform (src/fixtures/scenario-app.ts).
import { describeHttpScenarios } from '@cacheguard/http/testing'
import { redisOutage } from '../../../test/helpers/redis-outage.js'
import { redisStores } from '../../../test/helpers/redis-stores.js'
import { scenarioApp } from './fixtures/scenario-app.js'

describeHttpScenarios({
  name: 'nestjs (fastify)',
  store: redisStores('nest-fastify-scenarios'),
  outage: redisOutage,
  serve: (cache, handler, options) => scenarioApp('fastify', cache, handler, options),
})
