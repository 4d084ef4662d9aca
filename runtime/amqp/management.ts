/**
 * The RabbitMQ management HTTP API, for the one thing AMQP 0-9-1 cannot do: list queues. Optional by
 * design: the `rabbitmq_management` plugin may not be enabled, so callers fall back to what they can find
 * with passive declares and say so.
 *
 * Where it is: `BLOODBANK_MANAGEMENT_URL`, else derived from `RABBIT_URL` as `rabbitmqadmin` would
 * (`http://<host>:15672`, `https://<host>:15671` for amqps), with the AMQP URL's credentials (amqplib's
 * `guest`/`guest` when it has none) and its virtual host (`/` when it has none).
 */
import { redactUrl, splitUrlList } from '../config.js';
import { ManagementApiError } from '../errors/management-api-error.js';

export interface ManagementApi {
  /** Base URL without credentials, e.g. `http://localhost:15672`. */
  readonly baseUrl: string;
  readonly vhost: string;
  readonly authorization: string;
}

export interface QueueSummary {
  readonly name: string;
  /** Messages ready for delivery. */
  readonly messages: number;
  readonly consumers: number;
}

export function managementApi(rabbitUrl: string, managementUrl?: string): ManagementApi {
  const amqp = new URL(splitUrlList(rabbitUrl)[0] ?? rabbitUrl);
  const vhost = amqp.pathname.length > 1 ? decodeURIComponent(amqp.pathname.slice(1)) : '/';
  const tls = amqp.protocol === 'amqps:';
  const base = managementUrl
    ? new URL(managementUrl)
    : new URL(`${tls ? 'https' : 'http'}://${amqp.hostname}:${tls ? 15671 : 15672}`);
  const credentials = base.username !== '' ? base : amqp;
  const given = credentials.username !== '' || credentials.password !== '';
  const user = given ? decodeURIComponent(credentials.username) : 'guest';
  const password = given ? decodeURIComponent(credentials.password) : 'guest';
  base.username = '';
  base.password = '';
  return {
    baseUrl: base.toString().replace(/\/+$/, ''),
    vhost,
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  };
}

/** Every queue of the virtual host with its ready messages and consumers (`GET /api/queues/<vhost>`). */
export async function listQueues(
  api: ManagementApi,
  options: { timeoutMs?: number } = {},
): Promise<QueueSummary[]> {
  const path = `/api/queues/${encodeURIComponent(api.vhost)}?columns=name,messages_ready,consumers`;
  const body = await getJson(api, path, options.timeoutMs);
  if (!Array.isArray(body))
    throw new ManagementApiError(`${where(api)} did not answer with a list of queues`);
  return body.map((q: { name?: unknown; messages_ready?: unknown; consumers?: unknown }) => ({
    name: String(q.name),
    messages: typeof q.messages_ready === 'number' ? q.messages_ready : 0,
    consumers: typeof q.consumers === 'number' ? q.consumers : 0,
  }));
}

const where = (api: ManagementApi) => `the RabbitMQ management API at ${redactUrl(api.baseUrl)}`;

async function getJson(api: ManagementApi, path: string, timeoutMs = 5_000): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${api.baseUrl}${path}`, {
      headers: { authorization: api.authorization, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const reason = cause?.code ?? (error as Error).name;
    throw new ManagementApiError(
      `${where(api)} did not answer (${reason}): is rabbitmq_management enabled?`,
      {
        cause: error,
      },
    );
  }
  if (!response.ok) {
    const hint =
      response.status === 401
        ? ': the credentials were refused'
        : response.status === 404
          ? `: no virtual host ${JSON.stringify(api.vhost)}, or not a management API`
          : '';
    throw new ManagementApiError(`${where(api)} answered ${response.status}${hint}`);
  }
  return (await response.json()) as unknown;
}

/** The routing keys (patterns) binding `queue` to `exchange` (`GET /api/bindings/<vhost>/e/<x>/q/<q>`). */
export async function listBindings(
  api: ManagementApi,
  exchange: string,
  queue: string,
  options: { timeoutMs?: number } = {},
): Promise<string[]> {
  const v = encodeURIComponent(api.vhost);
  const body = await getJson(
    api,
    `/api/bindings/${v}/e/${encodeURIComponent(exchange)}/q/${encodeURIComponent(queue)}`,
    options.timeoutMs,
  );
  if (!Array.isArray(body))
    throw new ManagementApiError(`${where(api)} did not answer with a list of bindings`);
  return body.map((b: { routing_key?: unknown }) => String(b.routing_key)).sort();
}
