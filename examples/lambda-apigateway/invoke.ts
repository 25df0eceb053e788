// Invokes handler.ts with event files, one after another in one process, as one warm execution
// environment would; no AWS account needed. Prints one JSON line per invocation.
//
//   node --import tsx --conditions=cacheguard-source examples/lambda-apigateway/invoke.ts \
//     examples/lambda-apigateway/events/v1-get-product.json examples/lambda-apigateway/events/v2-get-product.json
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { catalog } from './catalog.js'
import { handler, redis } from './handler.js'

for (const file of process.argv.slice(2)) {
  const event = JSON.parse(await readFile(file, 'utf8'))
  const context = { awsRequestId: randomUUID(), functionName: 'products-api' }
  const result = await handler(event, context)
  console.log(JSON.stringify({ event: file, result, dbQueries: catalog.queries }))
}
// Only this script ends the connection: a deployed handler never closes it.
await redis.quit()
