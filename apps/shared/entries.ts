/**
 * How the apps (gateway, `bb`, MCP, docs) name and address a registry entry, for our catalogue and for a
 * document we did not write (issue 17, DESIGN.md §3):
 * - an entry whose key follows the routing-key grammar keeps today's names: HTTP path from its tokens
 *   (`/events/llm/prompt`), MCP tool name with `_` for `.`;
 * - any other entry (a channel id such as `lightTurnOn`, or `channelId.messageId`) is named by its key as
 *   one path segment (`/events/lightTurnOn.turnOn`); AsyncAPI keys are `[A-Za-z0-9._-]+`, safe in a path;
 * - `{param}` placeholders of the address are filled from named values by the runtime's rules
 *   (`bloodbank/delivery/address.js`), so every app and the publisher refuse the same values with the same
 *   words; here only the shape of the apps' arguments is checked, and issues name the parameter;
 * - `address: null`: the caller names the routing key.
 */
import { createHash } from 'node:crypto';
import {
  addressOf,
  parameterPattern,
  resolveAddress as resolveRuntimeAddress,
} from 'bloodbank/delivery/address.js';
import { ROUTING_KEY, type EventDefinition } from 'bloodbank/registry.js';

type Entry = Pick<EventDefinition, 'key' | 'tokens'>;

/** The key follows our grammar (DESIGN.md §3) and its tokens spell it. */
export function isGrammarKey(def: Entry): boolean {
  return ROUTING_KEY.test(def.key) && def.tokens.join('.') === def.key;
}

/** A key usable as one path segment (AsyncAPI's key characters, and not a dot segment). */
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Path segments under `/events` (or `/commands`): the tokens for a grammar key, else the key itself; null when the key cannot be a path. */
export function entrySegments(def: Entry): readonly string[] | null {
  if (isGrammarKey(def)) return def.tokens;
  if (!SEGMENT.test(def.key) || def.key === '.' || def.key === '..') return null;
  return [def.key];
}

/** `POST` path of an entry (`/events/llm/prompt`, `/events/lightTurnOn`); null when the key cannot be a path. */
export function entryPath(def: Entry, base = '/events'): string | null {
  const segments = entrySegments(def);
  return segments ? `${base}/${segments.join('/')}` : null;
}

/** MCP tool names (SEP-986, @modelcontextprotocol/sdk `validateToolName`): 1 to 128 of `[A-Za-z0-9._-]`. */
export const MCP_TOOL_NAME = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The MCP tool name of a key: `.` → `_` (today's names: `agent_thread_prompt`), any character outside
 * the MCP set → `_`, cut to 128 characters with a hash of the key when longer.
 */
export function toolNameOf(key: string): string {
  const name = key.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
  if (name.length <= 128) return name;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return `${name.slice(0, 119)}_${hash}`;
}

/* ---------- address parameters ---------- */

/** A problem with one parameter value (or with the routing key of an `address: null` channel). */
export interface ParameterIssue {
  /** The parameter's name; `routing_key` for the caller's key. */
  readonly name: string;
  /** The rule broken, in JSON Schema words (`required`, `enum`, `pattern`, `type`, `additionalProperties`). */
  readonly rule: string;
  readonly message: string;
}

export interface AddressInput {
  /** Parameter values by name (strings; other types are refused). */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** The routing key for a channel whose address is `null`. */
  readonly routingKey?: unknown;
}

export interface ResolvedAddress {
  /** Values of every placeholder (defaults filled in); absent when the address has none. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** The caller's routing key (`address: null` only). */
  readonly routingKey?: string;
  /** The routing key the message travels with, as the runtime computes it (`bloodbank/delivery/address.js`). */
  readonly key: string;
}

/**
 * Checks what a request, `--param` flags or MCP arguments give for `def`'s address and resolves the
 * routing key. The address rules (required, empty, routing-breaking characters, enum, MQTT and queue
 * mapping, the caller's key) are the runtime's `resolveAddress`; what is checked here is the arguments'
 * shape: a name that is not a placeholder, a value that is not a string, a routing key given to a channel
 * that has an address. Issues name the parameter (`routing_key` for the caller's key).
 */
export function resolveAddress(
  def: EventDefinition,
  input: AddressInput = {},
):
  | { readonly ok: true; readonly value: ResolvedAddress }
  | { readonly ok: false; readonly issues: ParameterIssue[] } {
  const address = addressOf(def);
  const issues: ParameterIssue[] = [];
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.parameters ?? {})) {
    if (!address.names.includes(name))
      issues.push({
        name,
        rule: 'additionalProperties',
        message:
          address.names.length === 0
            ? `is not a parameter: ${def.key} has no address parameters`
            : `is not a parameter of ${def.address ?? address.template ?? def.key} (parameters: ${address.names.join(', ')})`,
      });
    else if (typeof value !== 'string') issues.push({ name, rule: 'type', message: 'must be a string' });
    else values[name] = value;
  }
  let routingKey: string | undefined;
  if (input.routingKey !== undefined) {
    if (address.template !== null)
      issues.push({
        name: 'routing_key',
        rule: 'not',
        message: `is only for a channel without an address; ${def.key} is published to ${def.address ?? address.template}`,
      });
    else if (typeof input.routingKey !== 'string')
      issues.push({ name: 'routing_key', rule: 'type', message: 'must be a string' });
    else routingKey = input.routingKey;
  }
  const resolved = resolveRuntimeAddress(def, values, routingKey);
  if (!resolved.ok)
    for (const issue of resolved.issues) {
      const name = issue.pointer === '/routingKey' ? 'routing_key' : String(issue.params['parameter']);
      if (!issues.some((i) => i.name === name))
        issues.push({ name, rule: issue.rule, message: issue.message });
    }
  if (issues.length > 0 || !resolved.ok) return { ok: false, issues };
  return {
    ok: true,
    value: {
      key: resolved.routingKey,
      ...(address.names.length > 0 ? { parameters: resolved.parameters } : {}),
      ...(routingKey !== undefined ? { routingKey } : {}),
    },
  };
}

/**
 * The routing key of `def` as listings show it: the runtime's AMQP form of the address with its
 * placeholders left as `{name}` (an MQTT topic mapped, the queue name for `is: queue`), the key for our
 * own entries, `{routing key}` when the caller names it (`address: null`).
 */
export function routingKeyTemplate(def: EventDefinition): string {
  return addressOf(def).template ?? '{routing key}';
}

/** One line per parameter for listings: `streetlightId  enum a|b  default a  — description`. */
export function describeParameters(def: Pick<EventDefinition, 'parameters'>): string[] {
  return (def.parameters ?? []).map((p) =>
    [
      p.name,
      p.enum ? `one of ${p.enum.join('|')}` : null,
      p.default !== undefined ? `default ${p.default}` : null,
      p.description ? `— ${p.description}` : null,
    ]
      .filter((s): s is string => s !== null)
      .join('  '),
  );
}

/** JSON Schema (draft-07) of one parameter's value: a non-empty string the address accepts (`parameterPattern`). */
export function parameterSchema(
  def: EventDefinition,
  p: NonNullable<EventDefinition['parameters']>[number],
): Record<string, unknown> {
  return {
    type: 'string',
    minLength: 1,
    pattern: parameterPattern(def),
    ...(p.enum ? { enum: [...p.enum] } : {}),
    ...(p.default !== undefined ? { default: p.default } : {}),
  };
}

/** JSON Schema (draft-07) of the parameters as an object: one string property each, enum and default kept. */
export function parametersSchema(def: EventDefinition): {
  type: 'object';
  properties: Record<string, unknown>;
  required: string[];
  additionalProperties: false;
  description: string;
} {
  const params = def.parameters ?? [];
  return {
    type: 'object',
    properties: Object.fromEntries(
      params.map((p) => [
        p.name,
        {
          ...parameterSchema(def, p),
          ...(p.description ? { description: p.description } : {}),
          ...(p.examples?.length ? { examples: [...p.examples] } : {}),
        },
      ]),
    ),
    required: params.filter((p) => p.default === undefined).map((p) => p.name),
    additionalProperties: false,
    description: `Values of the {placeholders} of the address ${def.address ?? ''}`.trim(),
  };
}
