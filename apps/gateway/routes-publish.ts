/**
 * Publishing routes, registered from the registry:
 * - `POST /events/<token>/<token>/…` per event (and per command): body = payload → 202 once confirmed;
 * - `POST /commands/<tokens>` per command, `?wait=true` waits for the typed reply;
 * - `POST /events/custom`: a full envelope, validated, answered as the original (`200 {"status":"published"}`);
 * - anything else under `/events/` or `/commands/`: 404 naming the unknown type (or, for the original's
 *   documented `POST /events/{event_type}`, the dotted key is accepted).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createEnvelope, formatTimestamp, type Envelope } from 'bloodbank/envelope.js';
import { formatIssues } from 'bloodbank/errors/payload-validation-error.js';
import { newEventId } from 'bloodbank/ids.js';
import type { EventDefinition, ValidationIssue } from 'bloodbank/registry.js';
import { authorize, type GatewayContext } from './context.js';
import { commandErrorName } from './commands.js';
import { HttpError, isHttpError, unavailable } from './http-error.js';
import { eventPath, RESERVED_QUERY } from './openapi.js';
import { entryPath, resolveAddress, type ResolvedAddress } from '../shared/entries.js';
import type { PublishOptions } from 'bloodbank/bus.js';
import { bodyIssues, envelopeInput, locateEnvelopeIssues, type LocatedIssue } from './request-envelope.js';
import { ROUTING_KEY } from 'bloodbank/registry.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_ISSUES = 100;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** 400 carrying every issue (the first 100 in the body, the count in `issue_count`). */
export function validationFailed(eventType: string | null, issues: readonly LocatedIssue[]): HttpError {
  const shown = issues.slice(0, MAX_ISSUES);
  const text = formatIssues(
    shown.map((i) => ({
      ...i,
      pointer:
        i.in === 'header'
          ? `${i.header ?? ''}${i.pointer}`
          : i.in === 'query'
            ? `?${i.parameter ?? ''}`
            : i.pointer,
    })),
  );
  return new HttpError(400, 'validation_failed', `cannot publish ${eventType ?? 'the event'}: ${text}`, {
    details: { ...(eventType ? { event_type: eventType } : {}), issue_count: issues.length, issues: shown },
  });
}

function notAnObject(eventType: string, what: string): HttpError {
  return validationFailed(eventType, [
    {
      in: 'body',
      pointer: '',
      rule: 'type',
      message: `must be a JSON object (${what})`,
      params: { type: 'object' },
    },
  ]);
}

/**
 * The address of a request to publish `def` (a document we did not write, DESIGN.md §3): `{param}` values
 * from the query string under the parameter's own name, `routing_key` for a channel whose address is
 * `null`. Issues are located in the query, naming the parameter. Our own entries take nothing here.
 */
export function requestAddress(
  def: EventDefinition,
  request: FastifyRequest,
): { options: Pick<PublishOptions, 'parameters' | 'routingKey'>; issues: LocatedIssue[] } {
  if (def.address === undefined && !def.parameters?.length) return { options: {}, issues: [] };
  const query = (request.query ?? {}) as Record<string, unknown>;
  const parameters: Record<string, unknown> = {};
  const issues: LocatedIssue[] = [];
  for (const [name, value] of Object.entries(query)) {
    if ((RESERVED_QUERY as readonly string[]).includes(name)) continue;
    if (Array.isArray(value)) issues.push(queryIssue(name, 'type', 'must be given once'));
    else parameters[name] = value;
  }
  const resolved = resolveAddress(def, {
    parameters,
    ...(query['routing_key'] !== undefined ? { routingKey: query['routing_key'] } : {}),
  });
  if (!resolved.ok) issues.push(...resolved.issues.map((i) => queryIssue(i.name, i.rule, i.message)));
  return { options: resolved.ok ? addressOptions(resolved.value) : {}, issues };
}

function addressOptions(address: ResolvedAddress): Pick<PublishOptions, 'parameters' | 'routingKey'> {
  return {
    ...(address.parameters ? { parameters: address.parameters } : {}),
    ...(address.routingKey !== undefined ? { routingKey: address.routingKey } : {}),
  };
}

function queryIssue(name: string, rule: string, message: string): LocatedIssue {
  return { in: 'query', parameter: name, pointer: '', rule, message, params: { parameter: name } };
}

/** A validated request to publish: its envelope and the address options it travels with. */
export interface PublishRequest {
  readonly envelope: Envelope;
  readonly options: Pick<PublishOptions, 'parameters' | 'routingKey'>;
}

/** Validate a request to publish `def` and build its envelope (defaults applied). Throws 400. */
export function buildEnvelope(
  ctx: GatewayContext,
  def: EventDefinition,
  request: FastifyRequest,
): PublishRequest {
  const body = request.body;
  if (!isPlainObject(body)) throw notAnObject(def.key, `the payload of ${def.key}`);
  const input = envelopeInput(request, def.key);
  const address = requestAddress(def, request);
  const result = def.validatePublish(body);
  const issues: LocatedIssue[] = result.ok ? [] : bodyIssues(result.issues);
  issues.push(...input.issues, ...address.issues);
  if (issues.length > 0) throw validationFailed(def.key, issues);
  const envelope = createEnvelope(def.key, result.ok ? result.value : body, input.options);
  if (input.options.agentContext !== undefined || input.options.correlationIds !== undefined) {
    const checked = ctx.registry.envelope?.validatePublish(envelope);
    if (checked && !checked.ok) throw validationFailed(def.key, locateEnvelopeIssues(checked.issues));
  }
  return { envelope, options: address.options };
}

function publishRoute(ctx: GatewayContext, def: EventDefinition, asCommand: boolean) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    authorize(ctx, request, def.key);
    const { envelope, options } = buildEnvelope(ctx, def, request);
    const wait = asCommand && isTrue((request.query as Record<string, unknown>)['wait']);
    // Request/reply publishes on the command's key: a foreign command's address is not filled there yet.
    if (wait) return waitForReply(ctx, def, envelope, request, reply);
    try {
      const receipt = await ctx.broker.publish(envelope, options);
      return reply.code(202).send({ event_id: receipt.eventId, event_type: receipt.eventType });
    } catch (error) {
      if (asCommand && isHttpError(error) && error.code === 'unroutable') throw noHandler(ctx, def.key);
      throw error;
    }
  };
}

function isTrue(value: unknown): boolean {
  return value === 'true' || value === '1' || value === '' || value === true;
}

function noHandler(ctx: GatewayContext, key: string): HttpError {
  return unavailable(
    'no_command_handler',
    `no command processor handles ${key}; nothing was published (start one: bb serve commands)`,
    ctx.retryAfterSeconds,
  );
}

async function waitForReply(
  ctx: GatewayContext,
  def: EventDefinition,
  envelope: Envelope,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const raw = (request.query as Record<string, unknown>)['timeout_ms'];
  const timeoutMs = raw === undefined ? ctx.commandTimeout.defaultMs : Number(raw);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > ctx.commandTimeout.maxMs)
    throw new HttpError(
      400,
      'invalid_timeout',
      `timeout_ms must be an integer from 1 to ${ctx.commandTimeout.maxMs}`,
    );
  if (!def.replyKey)
    throw new HttpError(400, 'no_reply', `${def.key} declares no reply: publish it without ?wait=true`);
  const refused = ctx.broker.refusal();
  if (refused) throw refused;
  const requester = await ctx.requester();
  if (!requester)
    throw unavailable(
      'requester_unavailable',
      'request/reply is not available in this gateway',
      ctx.retryAfterSeconds,
    );
  try {
    const result = await requester.request(def.key, envelope.payload, {
      timeoutMs,
      commandId: envelope.event_id,
      source: envelope.source,
      agentContext: envelope.agent_context,
      ...(envelope.correlation_ids.length > 0 ? { parentIds: envelope.correlation_ids } : {}),
    });
    return reply.code(200).send({
      status: 'completed',
      command_id: result.commandId,
      event_type: def.key,
      reply: result.reply,
    });
  } catch (error) {
    const e = error as {
      commandId?: string;
      failure?: unknown;
      message?: string;
      issues?: readonly ValidationIssue[];
    };
    switch (commandErrorName(error)) {
      case 'CommandFailedError':
        throw new HttpError(502, 'command_failed', e.message ?? 'the command failed', {
          details: { command_id: e.commandId ?? envelope.event_id, failure: e.failure ?? null },
        });
      case 'RequestTimeoutError':
        throw new HttpError(
          504,
          'reply_timeout',
          `${e.message ?? 'no reply in time'}; the command was accepted and may still run (follow it at /debug/correlation/${envelope.event_id})`,
          { details: { command_id: e.commandId ?? envelope.event_id } },
        );
      case 'NoCommandHandlerError':
        throw noHandler(ctx, def.key);
      case 'PayloadValidationError':
        throw validationFailed(def.key, bodyIssues(e.issues ?? []));
      default:
        throw ctx.broker.failure(error, envelope);
    }
  }
}

/** `POST /events/custom`: the original's endpoint, now validated. */
function customRoute(ctx: GatewayContext) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body;
    if (!isPlainObject(body))
      throw notAnObject('the event', 'a full envelope with event_type, source and payload');
    const eventType = body['event_type'];
    const typeIssue = (message: string, rule: string): LocatedIssue => ({
      in: 'body',
      pointer: '/event_type',
      rule,
      message,
      params: {},
    });
    let def: EventDefinition | undefined;
    const issues: LocatedIssue[] = [];
    if (eventType === undefined) issues.push(typeIssue('is required', 'required'));
    else if (typeof eventType !== 'string') issues.push(typeIssue('must be a string', 'type'));
    else if ((def = ctx.registry.get(eventType)) !== undefined) {
      // A known key: ours follow the grammar; a document we did not write names its entries by channel id.
    } else if (/[*#]/.test(eventType))
      issues.push(
        typeIssue(
          "must be a routing key, not a binding pattern: '*' and '#' are never part of a key",
          'pattern',
        ),
      );
    else if (!ROUTING_KEY.test(eventType) || eventType.length > 255)
      issues.push(
        typeIssue(
          'must be 2 to 6 lowercase dot-separated tokens (a-z, 0-9, _), e.g. fireflies.transcript.ready',
          'pattern',
        ),
      );
    else issues.push(typeIssue('is not a known event type (GET /events lists them)', 'enum'));
    const name = typeof eventType === 'string' ? eventType : null;
    if (def) authorize(ctx, request, def.key);
    const envelopeCheck = ctx.registry.envelope?.validatePublish(body);
    if (envelopeCheck && !envelopeCheck.ok)
      issues.push(
        ...bodyIssues(envelopeCheck.issues).filter(
          (i) => !(issues.length > 0 && i.pointer === '/event_type'),
        ),
      );
    // Our envelope's schema requires an object payload; a foreign payload may be any JSON value.
    if (def && (isPlainObject(body['payload']) || ctx.registry.envelope === null)) {
      const payload = def.validatePublish(body['payload']);
      if (!payload.ok) issues.push(...bodyIssues(payload.issues, '/payload'));
    }
    const address = def ? requestAddress(def, request) : { options: {}, issues: [] };
    issues.push(...address.issues);
    if (issues.length > 0 || !def) throw validationFailed(name, issues);
    const id =
      typeof body['event_id'] === 'string' && UUID.test(body['event_id']) ? body['event_id'] : newEventId();
    // A registry without our envelope (a document we did not write) has nothing to check the rest of the
    // body against: its envelope is built as on the typed routes, from the payload and the headers.
    const envelope: Envelope =
      ctx.registry.envelope === null
        ? createEnvelope(def.key, body['payload'], {
            ...envelopeInput(request, def.key).options,
            eventId: id.toLowerCase(),
          })
        : {
            ...(body as unknown as Envelope),
            event_id: id.toLowerCase(),
            timestamp: typeof body['timestamp'] === 'string' ? body['timestamp'] : formatTimestamp(),
          };
    const receipt = await ctx.broker.publish(envelope, address.options);
    return reply.code(200).send({ status: 'published', event_id: receipt.eventId });
  };
}

function unknownRoute(ctx: GatewayContext, base: '/events' | '/commands') {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const rest = ((request.params as Record<string, string>)['*'] ?? '').replace(/\/+$/, '');
    // The original documented `POST /events/{event_type}`: accept the dotted key as one segment.
    const dotted = !rest.includes('/') ? ctx.registry.get(rest) : undefined;
    if (dotted && (base === '/events' || dotted.kind === 'command'))
      return publishRoute(ctx, dotted, base === '/commands')(request, reply);
    const key = rest.split('/').join('.');
    const known = ctx.registry.get(key);
    if (known && base === '/commands')
      throw new HttpError(
        404,
        'not_a_command',
        `${key} is an event, not a command: POST ${eventPath(known)}`,
        {
          details: { event_type: key },
        },
      );
    throw new HttpError(
      404,
      'unknown_event_type',
      `no ${base === '/commands' ? 'command' : 'event type'} ${JSON.stringify(key)} in the registry (GET /events lists the ${ctx.registry.list().length} known types)`,
      { details: { event_type: key } },
    );
  };
}

export function registerPublishRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const config = { auth: true };
  app.post('/events/custom', { config }, customRoute(ctx));
  for (const def of ctx.registry.list()) {
    const path = entryPath(def);
    if (path === null || path === '/events/custom') {
      ctx.logger.warn(
        { eventType: def.key },
        'no route of its own for this key (not a path segment, or /events/custom): POST /events/custom with a full envelope',
      );
      continue;
    }
    app.post(path, { config }, publishRoute(ctx, def, false));
    if (def.kind === 'command')
      app.post(eventPath(def, '/commands'), { config }, publishRoute(ctx, def, true));
  }
  app.post('/events/*', { config }, unknownRoute(ctx, '/events'));
  app.post('/commands/*', { config }, unknownRoute(ctx, '/commands'));
}
