export { keyvStore } from './keyv-store.js'
