/** The HTTP gateway: `createGateway()` (an app to listen with or inject into) and `serveGateway()` (from config). */
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export {
  serveGateway,
  listenHost,
  GatewayStartError,
  type ServeGatewayOptions,
  type ServedGateway,
} from './serve.js';
export { parseApiKeys, createKeyStore, ApiKeySpecError, type ApiKey, type KeyStore } from './auth.js';
export { buildOpenApi, buildDocsPage } from './openapi.js';
export { mapFirefliesWebhook, sign as signFirefliesBody, verifySignature } from './fireflies.js';
