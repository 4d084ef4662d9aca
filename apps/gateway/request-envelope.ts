/**
 * What the gateway reads from a request to build an envelope (DESIGN.md §6, issue 5):
 * - `source.host` = the client's address, `source.type` = `manual`, `source.app` from `X-Bloodbank-App`
 *   (default `http-client`, as the original);
 * - parents from `X-Bloodbank-Parent-Ids` (comma-separated UUIDs);
 * - a deterministic event id from `X-Bloodbank-Idempotency-Key` (`uuid5` of the event type and the key,
 *   the original's tracker-level id), so a retried request publishes the same event_id;
 * - the agent context from `X-Bloodbank-Agent-Context`: base64 (or base64url) of a JSON object.
 * Every problem is reported as an issue located in its header.
 */
import type { FastifyRequest } from 'fastify';
import type { AgentContextInput, CreateEnvelopeOptions } from 'bloodbank/envelope.js';
import { deterministicIdFromKey } from 'bloodbank/ids.js';
import type { ValidationIssue } from 'bloodbank/registry.js';

export const HEADER_APP = 'x-bloodbank-app';
export const HEADER_PARENTS = 'x-bloodbank-parent-ids';
export const HEADER_IDEMPOTENCY = 'x-bloodbank-idempotency-key';
export const HEADER_AGENT = 'x-bloodbank-agent-context';

/** A validation issue, located in the body, in one header or in one query parameter (an address parameter). */
export interface LocatedIssue extends ValidationIssue {
  readonly in: 'body' | 'header' | 'query';
  readonly header?: string;
  readonly parameter?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_PARENTS = 256;
const MAX_KEY = 1024;

export function bodyIssues(issues: readonly ValidationIssue[], prefix = ''): LocatedIssue[] {
  return issues.map((i) => ({ in: 'body', ...i, pointer: prefix + i.pointer }));
}

function headerIssue(header: string, rule: string, message: string, pointer = ''): LocatedIssue {
  return { in: 'header', header, pointer, rule, message, params: {} };
}

function single(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export interface EnvelopeInput {
  readonly options: CreateEnvelopeOptions;
  readonly issues: LocatedIssue[];
}

/** The envelope options of a request to publish `eventType`, or the issues of its headers. */
export function envelopeInput(
  request: FastifyRequest,
  eventType: string,
  app = 'http-client',
): EnvelopeInput {
  const issues: LocatedIssue[] = [];
  const appHeader = single(request, HEADER_APP)?.trim();
  if (appHeader !== undefined && (appHeader === '' || appHeader.length > 255))
    issues.push(headerIssue('X-Bloodbank-App', 'maxLength', 'must be 1 to 255 characters'));

  let correlationIds: string[] | undefined;
  const parents = single(request, HEADER_PARENTS);
  if (parents !== undefined && parents.trim() !== '') {
    const ids = parents.split(',').map((s) => s.trim());
    const bad = ids.findIndex((id) => !UUID.test(id));
    if (bad >= 0)
      issues.push(
        headerIssue('X-Bloodbank-Parent-Ids', 'format', 'must be UUIDs separated by commas', `/${bad}`),
      );
    else if (ids.length > MAX_PARENTS)
      issues.push(headerIssue('X-Bloodbank-Parent-Ids', 'maxItems', `must hold at most ${MAX_PARENTS} ids`));
    else correlationIds = ids.map((id) => id.toLowerCase());
  }

  let eventId: string | undefined;
  const key = single(request, HEADER_IDEMPOTENCY);
  if (key !== undefined) {
    if (key.length === 0 || key.length > MAX_KEY)
      issues.push(
        headerIssue('X-Bloodbank-Idempotency-Key', 'maxLength', `must be 1 to ${MAX_KEY} characters`),
      );
    else eventId = deterministicIdFromKey(eventType, key);
  }

  let agentContext: AgentContextInput | undefined;
  const agent = single(request, HEADER_AGENT);
  if (agent !== undefined) {
    const decoded = decodeAgentContext(agent);
    if (typeof decoded === 'string') issues.push(headerIssue('X-Bloodbank-Agent-Context', 'format', decoded));
    else agentContext = decoded;
  }

  return {
    issues,
    options: {
      source: { host: request.ip || 'unknown', type: 'manual', app: appHeader || app },
      ...(correlationIds ? { correlationIds } : {}),
      ...(agentContext ? { agentContext } : {}),
      ...(eventId ? { eventId } : {}),
    },
  };
}

/** The decoded object, or a message saying what is wrong. */
function decodeAgentContext(value: string): AgentContextInput | string {
  const text = value.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return 'must be base64 of a JSON object';
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    return 'must be base64 of a JSON object (the decoded text is not JSON)';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    return 'must be base64 of a JSON object (decoded to something else)';
  return parsed as AgentContextInput;
}

/** Envelope issues (pointers into the envelope) moved to the header they came from. */
export function locateEnvelopeIssues(issues: readonly ValidationIssue[]): LocatedIssue[] {
  return issues.map((i) => {
    const at = (prefix: string, header: string): LocatedIssue | undefined =>
      i.pointer === prefix || i.pointer.startsWith(`${prefix}/`)
        ? { in: 'header', header, ...i, pointer: i.pointer.slice(prefix.length) }
        : undefined;
    return (
      at('/agent_context', 'X-Bloodbank-Agent-Context') ??
      at('/correlation_ids', 'X-Bloodbank-Parent-Ids') ??
      at('/source/app', 'X-Bloodbank-App') ?? { in: 'header', header: 'envelope', ...i }
    );
  });
}
