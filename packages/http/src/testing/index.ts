export { httpDate, oneSocket, type Reply, type Send, send, sleep } from './client.js'
export {
  type CountedHandler,
  type HttpAdapter,
  paced,
  type ScenarioHandler,
  type ScenarioRequest,
  type ScenarioResponse,
  type Site,
  type StoreOutage,
  serveScenario,
} from './harness.js'
export { describeHttpScenarios } from './scenario-suite.js'
