/**
 * Read-only routes: health (`/healthz`, `/readyz`), the registry (`/events`, `/events/{type}/schema`,
 * `/openapi.json`, `/docs`), Prometheus `/metrics` and the correlation debug endpoints.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ChainDirection } from 'bloodbank/redis/correlation-tracker.js';
import type { GatewayContext } from './context.js';
import { HttpError, unavailable } from './http-error.js';
import { buildDocsPage, buildOpenApi, eventPath } from './openapi.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DIRECTIONS: readonly ChainDirection[] = ['ancestors', 'descendants'];

export function registerReadRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const open = { config: { auth: false } };

  app.get('/healthz', open, async () => ({ ok: true, service: ctx.name, status: 'alive' }));

  app.get('/readyz', open, async (_request, reply) => {
    const state = ctx.broker.state();
    const detail = ctx.broker.detail();
    const redis = ctx.tracker === null ? 'disabled' : ctx.tracker.degraded ? 'down' : 'up';
    const ok = state === 'up';
    if (!ok) reply.header('retry-after', String(ctx.retryAfterSeconds));
    return reply.code(ok ? 200 : 503).send({
      ok,
      service: ctx.name,
      rabbitmq: {
        status: state,
        exchange: ctx.broker.exchange,
        in_flight: detail.inFlight,
        ...(detail.blockedReason ? { blocked_reason: detail.blockedReason } : {}),
        ...(!ok && detail.lastError ? { last_error: detail.lastError } : {}),
      },
      redis: { status: redis, ...(redis === 'down' ? { effect: 'correlation links are not recorded' } : {}) },
      stream: { subscribers: ctx.stream.subscribers },
    });
  });

  const listing = {
    count: ctx.registry.list().length,
    domains: ctx.registry.listDomains().map((domain) => ({
      domain,
      events: ctx.registry
        .list()
        .filter((d) => d.domain === domain)
        .map((d) => ({
          type: d.key,
          kind: d.kind,
          group: d.group,
          title: d.title,
          description: d.description,
          path: eventPath(d),
          ...(d.kind === 'command'
            ? { command_path: eventPath(d, '/commands'), reply: d.replyKey, error: d.errorKey }
            : {}),
          schema: `/events/${d.key}/schema`,
          ...(d.channelId !== undefined ? { channel_id: d.channelId } : {}),
          ...(d.messageId !== undefined ? { message_id: d.messageId } : {}),
          ...(d.address !== undefined ? { address: d.address } : {}),
          ...(d.parameters?.length ? { parameters: d.parameters } : {}),
        })),
    })),
    types: ctx.registry.list().map((d) => ({ type: d.key, kind: d.kind })),
  };
  app.get('/events', open, async () => listing);

  app.get('/events/:type/schema', open, async (request) => {
    const type = (request.params as { type: string }).type;
    const def = ctx.registry.get(type);
    if (!def)
      throw new HttpError(
        404,
        'unknown_event_type',
        `no event type ${JSON.stringify(type)} in the registry (GET /events)`,
      );
    return def.schema;
  });

  const openapi = JSON.stringify(buildOpenApi(ctx.registry));
  app.get('/openapi.json', open, async (_request, reply) => reply.type('application/json').send(openapi));
  const docs = buildDocsPage(ctx.registry);
  app.get('/docs', open, async (_request, reply) => reply.type('text/html; charset=utf-8').send(docs));

  app.get('/metrics', open, async (_request, reply) => {
    const registry = ctx.metrics.registry;
    return reply.type(registry.contentType).send(await registry.metrics());
  });

  const auth = { config: { auth: true } };
  const tracker = () => {
    if (!ctx.tracker)
      throw new HttpError(404, 'tracking_disabled', 'correlation tracking is disabled in this gateway');
    return ctx.tracker;
  };
  const eventId = (request: FastifyRequest): string => {
    const id = (request.params as { event_id: string }).event_id;
    if (!UUID.test(id)) throw new HttpError(400, 'invalid_event_id', `${JSON.stringify(id)} is not a UUID`);
    return id.toLowerCase();
  };
  /** Answers 503 rather than an empty graph when Redis is away. */
  const fromRedis = async <T>(read: () => Promise<T>): Promise<T> => {
    const t = tracker();
    const value = await read();
    if (t.degraded)
      throw unavailable(
        'redis_unavailable',
        'Redis is not reachable: correlation data cannot be read now',
        ctx.retryAfterSeconds,
      );
    return value;
  };

  app.get('/debug/correlation/:event_id', auth, async (request) => {
    const id = eventId(request);
    const t = tracker();
    return fromRedis(async () => {
      const [parents, children, metadata, workflowId] = await Promise.all([
        t.getParents(id),
        t.getChildren(id),
        t.getMetadata(id),
        t.getWorkflowId(id),
      ]);
      return { event_id: id, parents, children, metadata: metadata ?? null, workflow_id: workflowId ?? null };
    });
  });

  app.get('/debug/correlation/:event_id/chain', auth, async (request) => {
    const id = eventId(request);
    const query = request.query as Record<string, unknown>;
    const direction = query['direction'] ?? 'ancestors';
    if (typeof direction !== 'string' || !(DIRECTIONS as readonly string[]).includes(direction))
      throw new HttpError(400, 'invalid_direction', 'direction must be ancestors or descendants');
    const rawDepth = query['max_depth'];
    const maxDepth = rawDepth === undefined ? 100 : Number(rawDepth);
    if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > 10_000)
      throw new HttpError(400, 'invalid_max_depth', 'max_depth must be an integer from 1 to 10000');
    const t = tracker();
    const chain = await fromRedis(() => t.getChain(id, direction as ChainDirection, maxDepth));
    return { event_id: id, direction, chain };
  });

  app.get('/debug/correlation/:event_id/dump', auth, async (request) => {
    const id = eventId(request);
    const t = tracker();
    return fromRedis(() => t.debugDump(id));
  });
}
