/**
 * `bb publish --via http`: the gateway's `POST /events/<tokens>` (or `/events/<key>` for a document we did
 * not write, address parameters in the query) with BLOODBANK_URL and BLOODBANK_API_KEY.
 */
import type { BloodbankConfig } from 'bloodbank/config.js';
import type { EventDefinition, ValidationIssue } from 'bloodbank/registry.js';
import { entryPath, type ResolvedAddress } from '../../shared/entries.js';
import { CLI_APP } from './context.js';
import { CliError, EXIT } from './errors.js';
import { formatIssues } from './payload.js';

export interface HttpPublishRequest {
  readonly eventType: string;
  readonly def: Pick<EventDefinition, 'key' | 'tokens'>;
  readonly payload: unknown;
  /** Address parameters and routing key, sent in the query as the gateway reads them. */
  readonly address?: Pick<ResolvedAddress, 'parameters' | 'routingKey'>;
  readonly parents: readonly string[];
  /** The deterministic id's key (`k=v|k=v`); the gateway derives the same uuid5 from it. */
  readonly idempotencyKey?: string;
}

export async function publishViaHttp(
  config: BloodbankConfig,
  request: HttpPublishRequest,
): Promise<{ event_id: string; event_type: string }> {
  const query = new URLSearchParams({
    ...request.address?.parameters,
    ...(request.address?.routingKey !== undefined ? { routing_key: request.address.routingKey } : {}),
  }).toString();
  const path = entryPath(request.def) ?? `/events/${request.def.key}`;
  const url = `${config.url.replace(/\/+$/, '')}${path}${query ? `?${query}` : ''}`;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-bloodbank-app': CLI_APP };
  if (config.apiKey) headers['authorization'] = `Bearer ${config.apiKey}`;
  if (request.parents.length > 0) headers['x-bloodbank-parent-ids'] = request.parents.join(',');
  if (request.idempotencyKey) headers['x-bloodbank-idempotency-key'] = request.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(request.payload),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    const cause =
      (error as Error).cause instanceof Error
        ? ((error as Error).cause as Error).message
        : (error as Error).message;
    throw new CliError(
      `cannot reach the gateway at ${config.url} (${cause}): is \`bb serve gateway\` running? Set BLOODBANK_URL to point elsewhere`,
      EXIT.unavailable,
      { cause: error },
    );
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { message: text };
  }
  if (response.ok && typeof body['event_id'] === 'string')
    return { event_id: body['event_id'], event_type: String(body['event_type'] ?? request.eventType) };
  const message = typeof body['message'] === 'string' ? body['message'] : `HTTP ${response.status}`;
  const issues = Array.isArray(body['issues']) ? (body['issues'] as ValidationIssue[]) : [];
  if (body['error'] === 'unroutable') throw new CliError(`the gateway: ${message}`, EXIT.unroutable);
  switch (response.status) {
    case 400:
    case 422:
      throw new CliError(
        issues.length ? formatIssues(`the gateway rejected the payload: ${message}`, issues) : message,
        EXIT.invalid,
      );
    case 401:
    case 403:
      throw new CliError(
        `the gateway refused the request (${response.status}): ${message}. Set BLOODBANK_API_KEY to a key allowed to publish ${request.eventType}`,
        EXIT.usage,
      );
    case 404:
      throw new CliError(`the gateway does not know ${request.eventType} (404): ${message}`, EXIT.notFound);
    default:
      throw new CliError(
        `the gateway failed to publish (${response.status}): ${message}`,
        response.status >= 500 ? EXIT.unavailable : EXIT.failure,
      );
  }
}
