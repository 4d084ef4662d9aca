import { BloodbankError } from './bloodbank-error.js';

/**
 * The RabbitMQ management API could not list queues: the plugin is not enabled, the API is unreachable,
 * or it refused the credentials. The message names the API's URL (without credentials) and the reason.
 */
export class ManagementApiError extends BloodbankError {
  override name = 'ManagementApiError' as const;
}

export function isManagementApiError(error: unknown): error is ManagementApiError {
  return error instanceof ManagementApiError;
}
