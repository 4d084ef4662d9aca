/**
 * The MCP tools of `bb mcp`, built from the registry:
 * - `list_event_types`, `get_event_schema`, `trace_event`, `query_history` (read-only);
 * - `publish_event(event_type, payload, parent_event_ids?, idempotency_fields?)` for facts;
 * - one tool per command (`agent_thread_prompt`), whose arguments are the command's payload plus
 *   `wait`, `timeout_ms` and `parent_event_ids`;
 * - the original server's `publish_llm_prompt`, `publish_llm_response`, `publish_artifact`, whose
 *   arguments are their events' payload fields, every one passed through.
 * Each input schema is self-contained JSON Schema draft-07 (local `#/definitions` only). Failures are
 * returned as tool errors (`isError`) that name each failing JSON pointer and say how to recover.
 */
import type { EventDefinition, JsonSchema, ValidationIssue } from 'bloodbank/registry.js';
import type { AppRegistry } from '../../shared/registry.js';
import { describeType, filterTypes } from '../commands/catalog.js';
import type { TraceDirection } from '../commands/trace.js';
import { UUID_RE } from '../support/output.js';
import { parseTimeSpec, TIME_RULE } from '../../shared/time.js';
import { parametersSchema, resolveAddress, toolNameOf, type ResolvedAddress } from '../../shared/entries.js';

export const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';
const MAX_PARENTS = 16;

export interface ToolAnnotations {
  readonly title: string;
  readonly readOnlyHint: boolean;
  readonly destructiveHint: boolean;
  readonly idempotentHint: boolean;
  readonly openWorldHint: boolean;
}

export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: { readonly type: 'object'; readonly [key: string]: unknown };
  readonly annotations: ToolAnnotations;
}

export interface ToolResult {
  readonly content: { type: 'text'; text: string }[];
  readonly isError?: boolean;
  readonly structuredContent?: Record<string, unknown>;
  [key: string]: unknown;
}

/** What the tools need from the bus, opened on first use by the server. */
export interface ToolBus {
  publish(
    eventType: string,
    payload: unknown,
    options: {
      parents: readonly string[];
      eventId?: string;
      mandatory: boolean;
      /** Address parameters and routing key (a document we did not write). */
      parameters?: Readonly<Record<string, string>>;
      routingKey?: string;
    },
  ): Promise<{ eventId: string }>;
  request(
    eventType: string,
    payload: unknown,
    options: { parents: readonly string[]; timeoutMs: number },
  ): Promise<{ commandId: string; reply: unknown }>;
  trace(eventId: string, direction: TraceDirection): Promise<unknown>;
  /** Stored events from the history stream, oldest first (`bb history`). */
  history(query: HistoryToolQuery): Promise<unknown>;
  deterministicId(eventType: string, fields: Record<string, unknown>): string;
}

export interface HistoryToolQuery {
  readonly pattern: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly correlation?: string;
  readonly limit: number;
}

export const MAX_HISTORY_TOOL_LIMIT = 1_000;

/** A failure the agent can act on. */
export class ToolError extends Error {
  override name = 'ToolError' as const;
}

const READ_ONLY: Omit<ToolAnnotations, 'title'> = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};
/** Publishing a fact adds to the log; it changes or deletes nothing. */
const PUBLISHES: Omit<ToolAnnotations, 'title'> = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: true,
};
/** A command makes a processor act in the world (run an LLM, open a PR…). */
const COMMANDS: Omit<ToolAnnotations, 'title'> = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true,
};

const parentsSchema = {
  type: 'array',
  items: { type: 'string', format: 'uuid' },
  maxItems: MAX_PARENTS,
  description: 'Event ids that caused this event (causation); recorded for trace_event.',
};

/**
 * The tool name of a command key: `.` → `_` and any character outside the MCP tool-name set
 * (`[A-Za-z0-9._-]`, 1 to 128) → `_` (apps/shared/entries.ts). Unique names: see `commandToolNames`.
 */
export function toolName(key: string): string {
  return toolNameOf(key);
}

/** Names of the fixed tools; a command whose sanitized key is one of them gets a `_command` suffix. */
const FIXED_TOOLS = [
  'list_event_types',
  'get_event_schema',
  'publish_event',
  'trace_event',
  'query_history',
  'publish_llm_prompt',
  'publish_llm_response',
  'publish_artifact',
];

/** Tool name per command key, unique: a later key sanitized to a name already taken gets `_2`, `_3`, … */
export function commandToolNames(commands: readonly EventDefinition[]): Map<string, string> {
  const taken = new Set(FIXED_TOOLS);
  const names = new Map<string, string>();
  for (const def of commands) {
    const base = FIXED_TOOLS.includes(toolName(def.key)) ? `${toolName(def.key)}_command` : toolName(def.key);
    let name = base;
    for (let n = 2; taken.has(name); n += 1) name = `${base.slice(0, 120)}_${n}`;
    taken.add(name);
    names.set(def.key, name);
  }
  return names;
}

const parametersArgument = {
  type: 'object',
  additionalProperties: { type: 'string' },
  description:
    'Values of the {placeholders} of the event’s channel address (get_event_schema lists them as parameters; only for events that have them).',
};
const routingKeyArgument = {
  type: 'string',
  minLength: 1,
  description: 'The routing key, only for an event whose channel has no address (address: null).',
};

/** The address arguments of a tool: `parameters` (per-parameter schema) and `routing_key` when needed. */
function addressArguments(def: EventDefinition, names: { parameters: string; routingKey: string }) {
  return {
    ...(def.parameters?.length ? { [names.parameters]: parametersSchema(def) } : {}),
    ...(def.address === null ? { [names.routingKey]: routingKeyArgument } : {}),
  };
}

/** Checks the address arguments; a ToolError names each `/parameters/<name>` that is wrong. */
function addressOf(
  tool: string,
  def: EventDefinition,
  parameters: unknown,
  routingKey: unknown,
  names = { parameters: 'parameters', routingKey: 'routing_key' },
): Pick<ResolvedAddress, 'parameters' | 'routingKey'> {
  if (
    parameters !== undefined &&
    (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))
  )
    throw new ToolError(
      `Invalid arguments for ${tool}:\n- /${names.parameters}: must be an object of parameter values\nHow to recover: pass {"name": "value"} for each placeholder of the address (get_event_schema).`,
    );
  const resolved = resolveAddress(def, {
    ...(parameters !== undefined ? { parameters: parameters as Record<string, unknown> } : {}),
    ...(routingKey !== undefined ? { routingKey } : {}),
  });
  if (!resolved.ok)
    throw new ToolError(
      `Invalid arguments for ${tool}:\n` +
        resolved.issues
          .map((i) =>
            i.name === 'routing_key'
              ? `- /${names.routingKey}: ${i.message}`
              : `- /${names.parameters}/${i.name}: ${i.message}`,
          )
          .join('\n') +
        `\nHow to recover: get_event_schema {"event_type": "${def.key}"} lists the address and its parameters; call ${tool} again.`,
    );
  const { parameters: values, routingKey: key } = resolved.value;
  return { ...(values ? { parameters: values } : {}), ...(key !== undefined ? { routingKey: key } : {}) };
}

/** The payload schema as a standalone tool input: draft-07, no `$id`, extra properties added. */
function payloadInput(def: EventDefinition, extra: Record<string, unknown>, extraRequired: string[] = []) {
  const schema = (typeof def.schema === 'object' ? def.schema : {}) as Record<string, unknown>;
  const { $id: _id, $schema: _s, title: _t, examples: _e, ...rest } = schema;
  const properties = { ...(rest['properties'] as Record<string, unknown> | undefined), ...extra };
  const required = [...new Set([...((rest['required'] as string[] | undefined) ?? []), ...extraRequired])];
  return { $schema: DRAFT_07, ...rest, type: 'object' as const, properties, required };
}

/** Control argument names of a command tool, renamed with `bb_` if the payload has a field of that name. */
function controlNames(def: EventDefinition): {
  wait: string;
  timeout: string;
  parents: string;
  parameters: string;
  routingKey: string;
} {
  const props = Object.keys(((def.schema as { properties?: object }).properties ?? {}) as object);
  const pick = (name: string) => (props.includes(name) ? `bb_${name}` : name);
  return {
    wait: pick('wait'),
    timeout: pick('timeout_ms'),
    parents: pick('parent_event_ids'),
    parameters: pick('parameters'),
    routingKey: pick('routing_key'),
  };
}

const LEGACY = {
  publish_llm_prompt: 'llm.prompt',
  publish_llm_response: 'llm.response',
  publish_artifact: 'artifact.created',
} as const;

export function buildTools(registry: AppRegistry): ToolSpec[] {
  const all = registry.list();
  const keys = all.map((d) => d.key);
  const facts = all.filter((d) => d.kind === 'event').map((d) => d.key);
  const tools: ToolSpec[] = [
    {
      name: 'list_event_types',
      description:
        'List the Bloodbank event types (facts) and commands, with their domain, title, and for commands the reply and failure types. Filter by domain or kind.',
      inputSchema: {
        $schema: DRAFT_07,
        type: 'object',
        properties: {
          domain: { type: 'string', description: `Only this domain: ${registry.listDomains().join(', ')}.` },
          kind: {
            type: 'string',
            enum: ['event', 'command'],
            description: 'Only facts (event) or commands.',
          },
        },
        additionalProperties: false,
      },
      annotations: { title: 'List event types', ...READ_ONLY },
    },
    {
      name: 'get_event_schema',
      description:
        'The JSON Schema (draft-07) of an event type’s payload, its examples, kind, and reply/failure types. Call it before publishing an event you have not published before.',
      inputSchema: {
        $schema: DRAFT_07,
        type: 'object',
        properties: {
          event_type: { type: 'string', enum: keys, description: 'Routing key, e.g. llm.prompt.' },
        },
        required: ['event_type'],
        additionalProperties: false,
      },
      annotations: { title: 'Get event schema', ...READ_ONLY },
    },
    {
      name: 'publish_event',
      description:
        'Publish a fact (an event that happened) to the Bloodbank bus. The payload must match the type’s schema (get_event_schema). Returns the event_id. Commands have their own tools.',
      inputSchema: {
        $schema: DRAFT_07,
        type: 'object',
        properties: {
          event_type: {
            type: 'string',
            enum: facts,
            description: 'Routing key of a fact, e.g. artifact.created.',
          },
          payload: {
            type: 'object',
            description: 'The event payload, as its schema describes (get_event_schema).',
          },
          parent_event_ids: parentsSchema,
          ...(facts.some((k) => registry.get(k)?.parameters?.length)
            ? { parameters: parametersArgument }
            : {}),
          ...(all.some((d) => d.kind === 'event' && d.address === null)
            ? { routing_key: routingKeyArgument }
            : {}),
          idempotency_fields: {
            type: 'object',
            additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
            description:
              'Fields of a deterministic event id (uuid5 as the original Bloodbank computes it): publishing again with the same fields gives the same event_id.',
          },
        },
        required: ['event_type', 'payload'],
        additionalProperties: false,
      },
      annotations: { title: 'Publish an event', ...PUBLISHES },
    },
    {
      name: 'trace_event',
      description:
        'The causation chain of an event from correlation tracking: its ancestors (what caused it) and descendants (what it caused), as trees.',
      inputSchema: {
        $schema: DRAFT_07,
        type: 'object',
        properties: {
          event_id: { type: 'string', format: 'uuid' },
          direction: { type: 'string', enum: ['ancestors', 'descendants', 'both'], default: 'both' },
        },
        required: ['event_id'],
        additionalProperties: false,
      },
      annotations: { title: 'Trace an event', ...READ_ONLY },
    },
    {
      name: 'query_history',
      description:
        'Stored events from the history stream, oldest first: filter by routing-key pattern (* one word, # any), time window (since/until: a duration back from now such as 10m, 2h, 7d, or an ISO time) and correlation (an event id: the event, its workflow and its children).',
      inputSchema: {
        $schema: DRAFT_07,
        type: 'object',
        properties: {
          pattern: {
            type: 'string',
            default: '#',
            description: 'Topic pattern, e.g. llm.# or fireflies.*.ready',
          },
          since: { type: 'string', description: 'Duration back from now (10m, 2h, 7d) or ISO 8601 time' },
          until: { type: 'string', description: 'Duration back from now or ISO 8601 time (default: now)' },
          correlation: { type: 'string', format: 'uuid' },
          limit: { type: 'integer', minimum: 1, maximum: MAX_HISTORY_TOOL_LIMIT, default: 100 },
        },
        additionalProperties: false,
      },
      annotations: { title: 'Query event history', ...READ_ONLY },
    },
  ];

  const commandNames = commandToolNames(registry.listCommands());
  for (const def of registry.listCommands()) {
    const names = controlNames(def);
    tools.push({
      name: commandNames.get(def.key) ?? toolName(def.key),
      description:
        `Command ${def.key}: ${def.description} ` +
        `With ${names.wait}: true, waits for the reply (${def.replyKey ?? 'none declared'}) and returns it; a failure comes back as ${def.errorKey ?? 'an error'}.`,
      inputSchema: payloadInput(
        def,
        {
          [names.wait]: { type: 'boolean', default: false, description: 'Wait for the command’s reply.' },
          [names.timeout]: {
            type: 'integer',
            minimum: 1000,
            maximum: 600000,
            default: 120000,
            description: 'How long to wait for the reply, in milliseconds.',
          },
          [names.parents]: parentsSchema,
          ...addressArguments(def, names),
        },
        def.parameters?.some((p) => p.default === undefined) ? [names.parameters] : [],
      ),
      annotations: { title: def.title, ...COMMANDS },
    });
  }

  const llmPrompt = registry.get(LEGACY.publish_llm_prompt);
  if (llmPrompt)
    tools.push({
      name: 'publish_llm_prompt',
      description:
        'Record that a prompt was sent to an LLM (publishes the llm.prompt fact; every argument is kept). Returns the event_id: pass it as prompt_id to publish_llm_response.',
      inputSchema: payloadInput(llmPrompt, { parent_event_ids: parentsSchema }),
      annotations: { title: 'Publish an LLM prompt', ...PUBLISHES },
    });
  const llmResponse = registry.get(LEGACY.publish_llm_response);
  if (llmResponse)
    tools.push({
      name: 'publish_llm_response',
      description:
        'Record an LLM’s response (publishes the llm.response fact; every argument is kept). prompt_id, the event_id of publish_llm_prompt, becomes its parent.',
      inputSchema: payloadInput(llmResponse, { parent_event_ids: parentsSchema }),
      annotations: { title: 'Publish an LLM response', ...PUBLISHES },
    });
  const artifact = registry.get(LEGACY.publish_artifact);
  if (artifact && registry.get('artifact.updated') && registry.get('artifact.deleted'))
    tools.push({
      name: 'publish_artifact',
      description:
        'Record that an artifact (file, document, transcript, code…) was created, updated or deleted: publishes artifact.<action>.',
      inputSchema: payloadInput(
        artifact,
        {
          action: { type: 'string', enum: ['created', 'updated', 'deleted'], description: 'What happened.' },
          parent_event_ids: parentsSchema,
        },
        ['action'],
      ),
      annotations: { title: 'Publish an artifact event', ...PUBLISHES },
    });
  return tools;
}

function text(value: unknown): ToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
    ...(value && typeof value === 'object' && !Array.isArray(value)
      ? { structuredContent: value as Record<string, unknown> }
      : {}),
  };
}

export function toolError(message: string): ToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** The issues of an argument object, each with its pointer (prefixed when the payload is nested). */
export function describeIssues(
  tool: string,
  eventType: string,
  issues: readonly ValidationIssue[],
  prefix = '',
): string {
  const lines = issues.map(
    (i) => `- ${prefix}${i.pointer || ''}${!prefix && !i.pointer ? '/' : ''}: ${i.message} (${i.rule})`,
  );
  return (
    `Invalid arguments for ${tool} (${eventType}):\n${lines.join('\n')}\n` +
    `How to recover: fix the fields at these JSON pointers and call ${tool} again; ` +
    `get_event_schema {"event_type": "${eventType}"} shows the schema and an example.`
  );
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function parentsOf(tool: string, args: Record<string, unknown>, name: string): string[] {
  const value = args[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new ToolError(
      `Invalid arguments for ${tool}:\n- /${name}: must be an array of event ids\nHow to recover: pass a list of UUIDs (or omit it) and call ${tool} again.`,
    );
  const bad = value.flatMap((v, i) => (typeof v === 'string' && UUID_RE.test(v) ? [] : [i]));
  if (bad.length > 0 || value.length > MAX_PARENTS)
    throw new ToolError(
      `Invalid arguments for ${tool}:\n` +
        bad.map((i) => `- /${name}/${i}: must be an event id (a UUID)`).join('\n') +
        (value.length > MAX_PARENTS ? `\n- /${name}: must hold at most ${MAX_PARENTS} ids` : '') +
        `\nHow to recover: pass event_ids returned by earlier publishes and call ${tool} again.`,
    );
  return (value as string[]).map((v) => v.toLowerCase());
}

/** Validates strictly (defaults applied), or throws a ToolError naming each pointer. */
function validate(tool: string, def: EventDefinition, payload: unknown, prefix = ''): void {
  const result = def.validatePublish(structuredClone(payload));
  if (!result.ok) throw new ToolError(describeIssues(tool, def.key, result.issues, prefix));
}

function requireType(registry: AppRegistry, tool: string, eventType: unknown): EventDefinition {
  const def = typeof eventType === 'string' ? registry.get(eventType) : undefined;
  if (!def)
    throw new ToolError(
      `Invalid arguments for ${tool}:\n- /event_type: unknown event type ${JSON.stringify(eventType)}\n` +
        'How to recover: call list_event_types and use one of the event_type values it returns.',
    );
  return def;
}

/** Runs a tool. Never throws for the agent's mistakes or an unreachable bus: those are tool errors. */
export async function callTool(
  registry: AppRegistry,
  bus: () => Promise<ToolBus>,
  name: string,
  rawArgs: unknown,
): Promise<ToolResult> {
  const args = asObject(rawArgs);
  try {
    return await dispatch(registry, bus, name, args);
  } catch (error) {
    if (error instanceof ToolError) return toolError(error.message);
    return toolError(recoveryMessage(name, error));
  }
}

async function dispatch(
  registry: AppRegistry,
  bus: () => Promise<ToolBus>,
  name: string,
  args: Record<string, unknown>,
): Promise<ToolResult> {
  switch (name) {
    case 'list_event_types': {
      const kind = args['kind'];
      if (kind !== undefined && kind !== 'event' && kind !== 'command')
        throw new ToolError(
          'Invalid arguments for list_event_types:\n- /kind: must be "event" or "command"\nHow to recover: pass one of them or omit kind.',
        );
      const domain = typeof args['domain'] === 'string' ? args['domain'] : undefined;
      if (domain !== undefined && !registry.list().some((d) => d.domain === domain || d.group === domain))
        throw new ToolError(
          `Invalid arguments for list_event_types:\n- /domain: unknown domain ${JSON.stringify(domain)}\nHow to recover: use one of ${registry.listDomains().join(', ')}, or omit domain.`,
        );
      const defs = filterTypes(registry.list(), registry.listDomains(), {
        domain,
        kind: kind as string | undefined,
      });
      return text({ event_types: defs.map(describeType) });
    }
    case 'get_event_schema': {
      const def = requireType(registry, name, args['event_type']);
      return text({ ...describeType(def), schema: def.schema, examples: def.examples });
    }
    case 'trace_event': {
      const id = args['event_id'];
      if (typeof id !== 'string' || !UUID_RE.test(id))
        throw new ToolError(
          'Invalid arguments for trace_event:\n- /event_id: must be an event id (a UUID)\nHow to recover: pass an event_id returned by a publish tool.',
        );
      const direction = (args['direction'] ?? 'both') as TraceDirection;
      if (!['ancestors', 'descendants', 'both'].includes(direction))
        throw new ToolError(
          'Invalid arguments for trace_event:\n- /direction: must be ancestors, descendants or both',
        );
      return text((await (await bus()).trace(id, direction)) as Record<string, unknown>);
    }
    case 'query_history':
      return text((await (await bus()).history(historyArgs(args))) as Record<string, unknown>);
    case 'publish_event': {
      const def = requireType(registry, name, args['event_type']);
      if (def.kind === 'command')
        throw new ToolError(
          `${def.key} is a command, not a fact: call the tool ${commandToolNames(registry.listCommands()).get(def.key) ?? toolName(def.key)} instead (it can also wait for the reply).`,
        );
      const payload = args['payload'];
      if (!payload || typeof payload !== 'object' || Array.isArray(payload))
        throw new ToolError(
          `Invalid arguments for publish_event:\n- /payload: must be an object\nHow to recover: pass the payload as a JSON object (get_event_schema {"event_type": "${def.key}"}).`,
        );
      validate(name, def, payload, '/payload');
      const address = addressOf(name, def, args['parameters'], args['routing_key']);
      const parents = parentsOf(name, args, 'parent_event_ids');
      const fields = args['idempotency_fields'];
      const b = await bus();
      const eventId =
        fields && typeof fields === 'object' && Object.keys(fields).length > 0
          ? b.deterministicId(def.key, fields as Record<string, unknown>)
          : undefined;
      const receipt = await b.publish(def.key, payload, {
        parents,
        mandatory: true,
        ...(eventId ? { eventId } : {}),
        ...address,
      });
      return text({ event_id: receipt.eventId, event_type: def.key });
    }
    case 'publish_llm_prompt':
    case 'publish_llm_response':
    case 'publish_artifact':
      return publishLegacy(registry, bus, name, args);
  }
  const commands = registry.listCommands();
  const commandNames = commandToolNames(commands);
  const command = commands.find((c) => commandNames.get(c.key) === name);
  if (!command)
    throw new ToolError(`Unknown tool ${name}. How to recover: list the tools again (tools/list).`);
  const names = controlNames(command);
  const {
    [names.wait]: wait,
    [names.timeout]: timeout,
    [names.parents]: _p,
    [names.parameters]: parameterArgs,
    [names.routingKey]: routingKeyArg,
    ...payload
  } = args;
  const hasParameters = (command.parameters?.length ?? 0) > 0;
  // Only a command whose address has placeholders (or is null) takes these; elsewhere they are payload.
  if (!hasParameters && parameterArgs !== undefined) payload[names.parameters] = parameterArgs;
  if (command.address !== null && routingKeyArg !== undefined) payload[names.routingKey] = routingKeyArg;
  validate(name, command, payload);
  const address = addressOf(
    name,
    command,
    hasParameters ? parameterArgs : undefined,
    command.address === null ? routingKeyArg : undefined,
    names,
  );
  const parents = parentsOf(name, args, names.parents);
  const b = await bus();
  if (wait === true) {
    const timeoutMs = typeof timeout === 'number' ? timeout : 120_000;
    const { commandId, reply } = await b.request(command.key, payload, { parents, timeoutMs });
    return text({ command_id: commandId, reply });
  }
  const receipt = await b.publish(command.key, payload, { parents, mandatory: true, ...address });
  return text({
    event_id: receipt.eventId,
    event_type: command.key,
    note: `Sent. The reply (${command.replyKey ?? 'none declared'}) will list this event_id in its correlation_ids; trace_event follows it.`,
  });
}

async function publishLegacy(
  registry: AppRegistry,
  bus: () => Promise<ToolBus>,
  name: keyof typeof LEGACY,
  args: Record<string, unknown>,
): Promise<ToolResult> {
  const { parent_event_ids: _p, ...payload } = args;
  let parents = parentsOf(name, args, 'parent_event_ids');
  let key: string = LEGACY[name];
  if (name === 'publish_artifact') {
    const action = payload['action'];
    if (action !== 'created' && action !== 'updated' && action !== 'deleted')
      throw new ToolError(
        `Invalid arguments for publish_artifact:\n- /action: must be one of created, updated, deleted (got ${JSON.stringify(action)})\nHow to recover: pass what happened to the artifact and call publish_artifact again.`,
      );
    key = `artifact.${action}`;
  }
  if (
    name === 'publish_llm_response' &&
    typeof payload['prompt_id'] === 'string' &&
    UUID_RE.test(payload['prompt_id'])
  )
    parents = [...new Set([payload['prompt_id'].toLowerCase(), ...parents])];
  const def = registry.require(key);
  validate(name, def, payload);
  const receipt = await (await bus()).publish(key, payload, { parents, mandatory: false });
  return text({ event_id: receipt.eventId, event_type: key });
}

/** What an unexpected failure means to an agent and what it can do about it. */
export function recoveryMessage(tool: string, error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  const message = e.message;
  switch (e.name) {
    case 'CliError':
    case 'ConnectionError':
      return `${tool} failed: ${message}\nHow to recover: the Bloodbank broker is not reachable from this MCP server; ask the user to start RabbitMQ (or fix RABBIT_URL), then call ${tool} again.`;
    case 'UnroutableError':
      return `${tool} failed: ${message}\nNothing was delivered: no consumer is subscribed to this event type. How to recover: ask the user to start the consumer (or \`bb tail\`), then call ${tool} again.`;
    case 'NoCommandHandlerError':
      return `${tool} failed: ${message}\nHow to recover: ask the user to run \`bb serve commands\`, then call ${tool} again.`;
    case 'RequestTimeoutError':
      return `${tool}: ${message}\nThe command may still run. How to recover: call trace_event with the command id later instead of sending it again.`;
    case 'CommandFailedError':
      return `${tool}: ${message}\nThe command failed for good (its failure event is recorded). How to recover: change the arguments or report the error; calling again with the same arguments will likely fail the same way.`;
    case 'PayloadValidationError':
      return `${tool} failed: ${message}\nHow to recover: fix the fields named above and call ${tool} again.`;
    default:
      return `${tool} failed unexpectedly: ${message}\nHow to recover: retry once; if it fails again, report this message to the user.`;
  }
}

/** Every `$ref` in a schema (for the bundling test). */
export function collectRefs(schema: JsonSchema | unknown, refs: string[] = []): string[] {
  if (Array.isArray(schema)) for (const s of schema) collectRefs(s, refs);
  else if (schema && typeof schema === 'object')
    for (const [k, v] of Object.entries(schema)) {
      if (k === '$ref' && typeof v === 'string') refs.push(v);
      else collectRefs(v, refs);
    }
  return refs;
}

function historyArgs(args: Record<string, unknown>): HistoryToolQuery {
  const issues: string[] = [];
  const time = (name: string): Date | undefined => {
    const v = args[name];
    if (v === undefined) return undefined;
    const at = typeof v === 'string' ? parseTimeSpec(v) : null;
    if (!at) issues.push(`- /${name}: ${TIME_RULE}`);
    return at ?? undefined;
  };
  const pattern = args['pattern'] ?? '#';
  if (typeof pattern !== 'string' || !/^(?:[A-Za-z0-9_-]+|\*|#)(?:\.(?:[A-Za-z0-9_-]+|\*|#))*$/.test(pattern))
    issues.push(
      '- /pattern: must be a topic pattern (dot-separated words, * for one word, # for any number)',
    );
  const correlation = args['correlation'];
  if (correlation !== undefined && (typeof correlation !== 'string' || !UUID_RE.test(correlation)))
    issues.push('- /correlation: must be an event id (a UUID)');
  const limit = args['limit'] ?? 100;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_TOOL_LIMIT)
    issues.push(`- /limit: must be an integer from 1 to ${MAX_HISTORY_TOOL_LIMIT}`);
  const since = time('since');
  const until = time('until');
  if (issues.length > 0) throw new ToolError(`Invalid arguments for query_history:\n${issues.join('\n')}`);
  return {
    pattern: pattern as string,
    limit: limit as number,
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(typeof correlation === 'string' ? { correlation } : {}),
  };
}
