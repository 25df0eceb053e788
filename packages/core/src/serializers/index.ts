export { devalueSerializer } from './devalue-serializer.js'
