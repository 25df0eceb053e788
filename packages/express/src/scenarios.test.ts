// The shared HTTP scenario suite over Express 5: the scenario's handler as the route after
// expressCache, answered with res.send (Express's automatic ETag off, so the answer is the
// handler's own; freshness.test.ts tests revalidation with it on).
import { describeHttpScenarios, paced } from '@cacheguard/http/testing'
import { redisOutage } from '../../../test/helpers/redis-outage.js'
import { redisStores } from '../../../test/helpers/redis-stores.js'
import { express } from '../test/express.js'
import { expressCache } from './index.js'

describeHttpScenarios({
  name: 'express',
  store: redisStores('express-scenarios'),
  outage: redisOutage,
  serve(cache, handler, options) {
    const app = express()
    app.set('etag', false)
    app.use(expressCache(cache, options))
    app.use(async (req, res, next) => {
      try {
        const answer = await handler({
          method: req.method,
          url: req.originalUrl,
          headers: req.headers,
        })
        res.status(answer.status ?? 200).set(answer.headers ?? {})
        if (answer.chunks !== undefined) {
          for await (const chunk of paced(answer.chunks)) res.write(chunk)
          res.end()
          return
        }
        const body = answer.body ?? ''
        res.send(typeof body === 'string' ? body : Buffer.from(body))
      } catch (error) {
        next(error)
      }
    })
    return app
  },
})
