/** The AMQP transport: a named self-recovering connection, the confirmed publisher, wire format. */
export { createConnection, redactUrl } from './connection.js';
export type { BloodbankConnection, ConnectionOptions } from './connection.js';
