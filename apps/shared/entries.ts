/**
 * How the apps (gateway, `bb`, MCP, docs) name and address a registry entry, for our catalogue and for a
 * document we did not write (issue 17, DESIGN.md §3):
 * - an entry whose key follows the routing-key grammar keeps today's names: HTTP path from its tokens
 *   (`/events/llm/prompt`), MCP tool name with `_` for `.`;
 * - any other entry (a channel id such as `lightTurnOn`, or `channelId.messageId`) is named by its key as
 *   one path segment (`/events/lightTurnOn.turnOn`); AsyncAPI keys are `[A-Za-z0-9._-]+`, safe in a path;
 * - `{param}` placeholders of the address are filled from named values, checked here so every app refuses
 *   the same values with the same words (empty, `.`, `*`, `#`, outside the enum), naming the parameter;
 * - `address: null`: the caller names the routing key.
 */
import { createHash } from 'node:crypto';
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
  /** The routing key the message travels with (address filled; MQTT topics mapped `/` → `.`). */
  readonly key: string;
}

/** Characters that would break topic routing inside one value (MQTT topics also split on `/` and `+`). */
function forbidden(def: Pick<EventDefinition, 'delivery'>): RegExp {
  return def.delivery?.is === 'mqtt' ? /[.*#/+]/ : /[.*#]/;
}

/** Placeholder names of an address (`comment/{commentId}/changed` → `['commentId']`). */
export function placeholders(address: string): string[] {
  return [...address.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1] ?? '');
}

/** Checks the values for `def`'s address and resolves the routing key. Issues name the parameter. */
export function resolveAddress(
  def: Pick<EventDefinition, 'key' | 'address' | 'parameters' | 'delivery'>,
  input: AddressInput = {},
):
  | { readonly ok: true; readonly value: ResolvedAddress }
  | { readonly ok: false; readonly issues: ParameterIssue[] } {
  const issues: ParameterIssue[] = [];
  const given = input.parameters ?? {};
  const declared = def.parameters ?? [];
  const where = def.address === undefined || def.address === null ? def.key : def.address;
  for (const name of Object.keys(given))
    if (!declared.some((p) => p.name === name))
      issues.push({
        name,
        rule: 'additionalProperties',
        message:
          declared.length === 0
            ? `is not a parameter: ${def.key} has no address parameters`
            : `is not a parameter of ${where} (parameters: ${declared.map((p) => p.name).join(', ')})`,
      });
  const values: Record<string, string> = {};
  const bad = forbidden(def);
  for (const p of declared) {
    const value = given[p.name] ?? p.default;
    if (value === undefined) {
      issues.push({
        name: p.name,
        rule: 'required',
        message: `is required (the address ${where} has {${p.name}})`,
      });
      continue;
    }
    if (typeof value !== 'string') {
      issues.push({ name: p.name, rule: 'type', message: 'must be a string' });
      continue;
    }
    if (value === '') issues.push({ name: p.name, rule: 'minLength', message: 'must not be empty' });
    else if (bad.test(value))
      issues.push({
        name: p.name,
        rule: 'pattern',
        message: `must not contain ${def.delivery?.is === 'mqtt' ? "'.', '*', '#', '/' or '+'" : "'.', '*' or '#'"} (they would break topic routing)`,
      });
    else if (p.enum && !p.enum.includes(value))
      issues.push({ name: p.name, rule: 'enum', message: `must be one of ${p.enum.join(', ')}` });
    else values[p.name] = value;
  }

  let routingKey: string | undefined;
  if (def.address === null) {
    const key = input.routingKey;
    if (key === undefined)
      issues.push({
        name: 'routing_key',
        rule: 'required',
        message: `is required: the channel of ${def.key} has no address (address: null), so the caller names the key`,
      });
    else if (typeof key !== 'string' || key === '')
      issues.push({ name: 'routing_key', rule: 'type', message: 'must be a non-empty string' });
    else if (Buffer.byteLength(key) > 255)
      issues.push({ name: 'routing_key', rule: 'maxLength', message: 'must be at most 255 bytes (AMQP)' });
    else if (/[*#]/.test(key))
      issues.push({
        name: 'routing_key',
        rule: 'pattern',
        message: "must be a routing key, not a binding pattern: '*' and '#' are never part of a key",
      });
    else routingKey = key;
  } else if (input.routingKey !== undefined)
    issues.push({
      name: 'routing_key',
      rule: 'not',
      message: `is only for a channel without an address; ${def.key} is published to ${where}`,
    });

  if (issues.length > 0) return { ok: false, issues };
  const key = routingKey ?? fillAddress(def, values);
  return {
    ok: true,
    value: {
      key,
      ...(declared.length > 0 ? { parameters: values } : {}),
      ...(routingKey !== undefined ? { routingKey } : {}),
    },
  };
}

/**
 * The routing key of `def` with these values: the address with its placeholders filled (MQTT topics
 * mapped as RabbitMQ's MQTT plugin does, `/` → `.`), the key for our own entries, `{routing key}` for
 * `address: null`. Missing values stay as `{name}` (listings show the address this way).
 */
export function fillAddress(
  def: Pick<EventDefinition, 'key' | 'address' | 'delivery'>,
  values: Readonly<Record<string, string>> = {},
): string {
  if (def.address === undefined) return def.key;
  if (def.address === null) return '{routing key}';
  const filled = def.address.replace(/\{([^{}]+)\}/g, (whole, name: string) => values[name] ?? whole);
  return def.delivery?.is === 'mqtt' ? filled.replace(/\//g, '.') : filled;
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

/** JSON Schema (draft-07) of the parameters as an object: one string property each, enum and default kept. */
export function parametersSchema(def: Pick<EventDefinition, 'parameters' | 'address'>): {
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
          type: 'string',
          minLength: 1,
          pattern: '^[^.*#]+$',
          ...(p.enum ? { enum: [...p.enum] } : {}),
          ...(p.default !== undefined ? { default: p.default } : {}),
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
