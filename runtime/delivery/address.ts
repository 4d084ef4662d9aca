/**
 * Channel addresses of documents we did not write (DESIGN.md §3): where a message of a definition travels
 * on RabbitMQ, for both transports.
 *
 * - `routingKey` (default): the address is the routing key, with `{param}` placeholders filled from
 *   `PublishOptions.parameters` (else the parameter's `default`); `address: null` → the caller names the
 *   key (`PublishOptions.routingKey`).
 * - `queue` (AMQP binding `is: queue`): published to the default exchange with the queue name as key;
 *   subscribers consume that queue.
 * - `mqtt`: the address is an MQTT topic; RabbitMQ's MQTT plugin maps it onto `amq.topic` with `/` → `.`,
 *   `+` → `*`, `#` → `#` (rabbit_mqtt_util `to_amqp`; a `.` in a topic stays, so it separates words too),
 *   so we do the same.
 *
 * A parameter value that would break topic routing (empty, or containing `.`, `*`, `#`; on MQTT also `/`
 * and `+`) is refused with the parameter's name. Subscribing without a value binds `*` for a placeholder
 * that is a whole word of the key, else `#`, and the pipeline filters by the address's pattern
 * (`matchKey`), which also parses the parameter values handed to the handler.
 */
import type { EventDefinition, ValidationIssue } from '../registry.js';

/** The exchange RabbitMQ's MQTT plugin publishes to and consumes from. */
export const MQTT_EXCHANGE = 'amq.topic';

/** How a definition's messages meet the broker: the key (or queue) a message travels with. */
export interface Address {
  /** `exchange` routing (topic or MQTT) or a named queue (default exchange). */
  readonly mode: 'routingKey' | 'queue' | 'mqtt';
  /** The AMQP form of the address (`a.b.{id}` for the MQTT topic `a/b/{id}`); null: the caller's key. */
  readonly template: string | null;
  /** The placeholders, in order of appearance. */
  readonly names: readonly string[];
  /** Parses an AMQP routing key (or queue name) into parameter values; null when it is not this address. */
  readonly parse: (routingKey: string) => Record<string, string> | null;
}

/** True when the registry entry came from a document we did not write (it carries an address). */
export function isForeign(definition: EventDefinition): boolean {
  return (
    definition.channelId !== undefined ||
    definition.address !== undefined ||
    definition.delivery !== undefined
  );
}

const PLACEHOLDER = /\{([^{}]+)\}/g;
/** Whether a name has a placeholder (not global: `test` keeps no state). */
const HAS_PLACEHOLDER = /\{[^{}]+\}/;
const cache = new WeakMap<EventDefinition, Address>();

/** The definition's address, compiled once. */
export function addressOf(definition: EventDefinition): Address {
  let a = cache.get(definition);
  if (!a) {
    a = compile(definition);
    cache.set(definition, a);
  }
  return a;
}

function compile(d: EventDefinition): Address {
  const delivery = d.delivery;
  if (delivery?.is === 'queue') {
    const name = delivery.queue.name;
    // A queue named by a parameter (`{queue}`: a requester's reply queue, AsyncAPI 2.x RPC) is filled like
    // an address; a plain name is the routing key through the default exchange.
    if (!HAS_PLACEHOLDER.test(name))
      return { mode: 'queue', template: name, names: [], parse: (k) => (k === name ? {} : null) };
    return { ...template(name, 'routingKey'), mode: 'queue' };
  }
  const raw = d.address === undefined ? d.key : d.address;
  if (raw === null)
    return {
      mode: delivery?.is === 'mqtt' ? 'mqtt' : 'routingKey',
      template: null,
      names: [],
      parse: () => ({}),
    };
  return template(
    delivery?.is === 'mqtt' ? mqttToAmqp(raw) : raw,
    delivery?.is === 'mqtt' ? 'mqtt' : 'routingKey',
  );
}

/** A template with `{param}` placeholders: their names, and a parser of routing keys it produces. */
function template(template: string, mode: 'mqtt' | 'routingKey'): Address {
  const names: string[] = [];
  let source = '^';
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const name = m[1] as string;
    source += escapeRegExp(template.slice(last, m.index));
    source += wholeWord(template, m.index, m[0].length) ? '([^.]+)' : '(.+?)';
    names.push(name);
    last = m.index + m[0].length;
  }
  source += `${escapeRegExp(template.slice(last))}$`;
  const re = new RegExp(source);
  return {
    mode,
    template,
    names,
    parse(key) {
      const found = re.exec(key);
      if (!found) return null;
      const out: Record<string, string> = {};
      names.forEach((n, i) => (out[n] = found[i + 1] as string));
      return out;
    },
  };
}

/** `a/b/+` → `a.b.*`, as RabbitMQ's MQTT plugin maps a topic to a routing key (`.` stays `.`). */
export function mqttToAmqp(topic: string): string {
  return topic.replace(/[/+]/g, (c) => (c === '/' ? '.' : '*'));
}

function wholeWord(template: string, index: number, length: number): boolean {
  const before = index === 0 || template[index - 1] === '.';
  const after = index + length === template.length || template[index + length] === '.';
  return before && after;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where a publish goes, or why it cannot (issues name `/parameters/<name>` or `/routingKey`). */
export type Resolved =
  | { readonly ok: true; readonly routingKey: string; readonly parameters: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/**
 * Fill the address of `definition` for one publish: the one place the address rules live (the publisher,
 * the gateway, `bb` and the MCP server all resolve through it).
 *
 * - Each placeholder takes `parameters[name]`, else the parameter's `default`; a value that is missing,
 *   empty, outside the parameter's `enum`, or that contains a character that would break topic routing
 *   (`parameterPattern`) is refused with an issue at `/parameters/<name>` (`params.parameter` = the name).
 * - `address: null`: `routingKey` names the key; it must be non-empty, at most 255 bytes (AMQP) and free
 *   of `*` and `#` (a routing key, never a binding pattern); issues at `/routingKey`.
 * - The key is the AMQP form of the address: an MQTT topic mapped as RabbitMQ's MQTT plugin does
 *   (`mqttToAmqp`), the queue name for `is: queue`, the registry key for our own catalogue.
 *
 * Values for names that are not placeholders, and a `routingKey` for a channel that has an address, are
 * ignored: rejecting them is the caller's choice (the apps do, naming their own argument).
 */
export function resolveAddress(
  definition: EventDefinition,
  parameters: Readonly<Record<string, string>> | undefined,
  routingKey: string | undefined,
): Resolved {
  const address = addressOf(definition);
  if (address.template === null) {
    const why = checkRoutingKey(routingKey, definition.key);
    return why
      ? refuse('/routingKey', why.rule, why.message)
      : { ok: true, routingKey: routingKey as string, parameters: {} };
  }
  if (address.names.length === 0) return { ok: true, routingKey: address.template, parameters: {} };
  const issues: ValidationIssue[] = [];
  const values: Record<string, string> = {};
  const byName = new Map((definition.parameters ?? []).map((p) => [p.name, p] as const));
  const written = address.mode === 'queue' ? address.template : (definition.address ?? address.template);
  for (const name of address.names) {
    if (name in values) continue;
    const p = byName.get(name);
    const value = parameters?.[name] ?? p?.default;
    const pointer = `/parameters/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const why = checkValue(value, address.mode, p?.enum, `the address ${written} has {${name}}`);
    if (why) issues.push({ pointer, rule: why.rule, message: why.message, params: { parameter: name } });
    else values[name] = value as string;
  }
  if (issues.length > 0) return { ok: false, issues };
  const key = address.template.replace(PLACEHOLDER, (_, name: string) => values[name] as string);
  return { ok: true, routingKey: key, parameters: values };
}

/** The characters a parameter value must not contain, by address mode (MQTT topics also split on `/`, `+`). */
function forbiddenIn(mode: Address['mode']): readonly string[] {
  return mode === 'mqtt' ? ['.', '*', '#', '/', '+'] : ['.', '*', '#'];
}

/**
 * The rule a `{param}` value of `definition` obeys, as a JSON Schema `pattern` (ECMAScript source):
 * none of the characters that would break topic routing (`.`, `*`, `#`; on an MQTT channel also `/` and
 * `+`). `resolveAddress` checks the same rule; apps put it in the schemas they publish (OpenAPI, MCP).
 */
export function parameterPattern(definition: EventDefinition): string {
  return `^[^${forbiddenIn(addressOf(definition).mode).join('')}]+$`;
}

function checkValue(
  value: string | undefined,
  mode: Address['mode'],
  allowed: readonly string[] | undefined,
  where: string,
): { rule: string; message: string } | null {
  if (value === undefined) return { rule: 'required', message: `is required (${where})` };
  if (typeof value !== 'string') return { rule: 'type', message: 'must be a string' };
  if (value === '') return { rule: 'minLength', message: 'must not be empty' };
  const forbidden = forbiddenIn(mode);
  if (forbidden.some((c) => value.includes(c)))
    return {
      rule: 'pattern',
      message: `must not contain ${quoteList(forbidden)} (they would break topic routing)`,
    };
  if (allowed && !allowed.includes(value))
    return { rule: 'enum', message: `must be one of ${allowed.join(', ')}` };
  return null;
}

/** The caller's key of an `address: null` channel: a routing key AMQP accepts, never a binding pattern. */
function checkRoutingKey(
  key: string | undefined,
  eventType: string,
): { rule: string; message: string } | null {
  if (key === undefined)
    return {
      rule: 'required',
      message: `is required: the channel of ${eventType} has no address (address: null), so the caller names the key`,
    };
  if (typeof key !== 'string') return { rule: 'type', message: 'must be a string' };
  if (key === '') return { rule: 'minLength', message: 'must not be empty' };
  if (Buffer.byteLength(key) > 255) return { rule: 'maxLength', message: 'must be at most 255 bytes (AMQP)' };
  if (/[*#]/.test(key))
    return {
      rule: 'pattern',
      message: "must be a routing key, not a binding pattern: '*' and '#' are never part of a key",
    };
  return null;
}

/** `'.', '*' or '#'` */
function quoteList(chars: readonly string[]): string {
  const quoted = chars.map((c) => `'${c}'`);
  return `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1] ?? ''}`;
}

function refuse(pointer: string, rule: string, message: string): Resolved {
  return { ok: false, issues: [{ pointer, rule, message, params: {} }] };
}

/**
 * The binding key a subscriber uses for `definition`: placeholders pinned by `pinned` are filled, the
 * others become `*` (a whole word) or `#` (part of a word). `filter` is true when a `#` was used, so the
 * pipeline must drop the keys the binding lets through that are not this address.
 */
export function bindingKeyOf(
  definition: EventDefinition,
  pinned: Readonly<Record<string, string>> | undefined,
): { readonly key: string; readonly filter: boolean } | null {
  const address = addressOf(definition);
  if (address.mode === 'queue') return null;
  if (address.template === null) return { key: '#', filter: true };
  let filter = false;
  const template = address.template;
  const key = template.replace(PLACEHOLDER, (whole: string, name: string, index: number) => {
    const value = pinned?.[name];
    if (value !== undefined) return value;
    if (wholeWord(template, index, whole.length)) return '*';
    filter = true;
    return '\u0000';
  });
  // A word holding a free placeholder and other text becomes `#` as a whole.
  const words = key.split('.').map((w) => (w.includes('\u0000') ? '#' : w));
  return { key: words.join('.'), filter };
}

/** Check that pinned values are acceptable values of the definitions' parameters. */
export function checkPinned(
  definitions: readonly EventDefinition[],
  pinned: Readonly<Record<string, string>> | undefined,
): void {
  if (!pinned) return;
  for (const [name, value] of Object.entries(pinned)) {
    const holders = definitions.filter((d) => addressOf(d).names.includes(name));
    if (holders.length === 0)
      throw new RangeError(
        `subscribe: parameter ${name} is not a placeholder of ${definitions.map((d) => d.key).join(', ')}`,
      );
    for (const d of holders) {
      const p = d.parameters?.find((x) => x.name === name);
      const why = checkValue(value, addressOf(d).mode, p?.enum, 'address parameter');
      if (why) throw new RangeError(`subscribe: parameters/${name} ${why.message}`);
    }
  }
}

/** What a subscription binds, transport aside (amqp/topology.ts adds the exchanges). */
export interface BindingPlan {
  /** Binding keys: a pattern of our catalogue as written (definition null), or a foreign address's key. */
  readonly keys: ReadonlyArray<{ readonly key: string; readonly definition: EventDefinition | null }>;
  /** Some key is wider than its address (`#`): the pipeline drops what is not a subscribed address. */
  readonly filter: boolean;
  /** The channels are bound as a queue (`is: queue`): consume that queue, bind nothing. */
  readonly queue: Extract<EventDefinition['delivery'], { is: 'queue' }>['queue'] | null;
}

/**
 * The binding keys of a subscription: subscription patterns select registry keys (for a foreign
 * document, channel ids); a selected foreign channel binds its address (`bindingKeyOf`), a pattern that
 * selects none binds itself (our catalogue: the key is the routing key).
 */
export function bindingPlan(
  definitions: readonly EventDefinition[],
  patterns: readonly string[],
  matches: (pattern: string, key: string) => boolean,
  pinned?: Readonly<Record<string, string>>,
): BindingPlan {
  const foreign = definitions.filter((d) => isForeign(d) && patterns.some((p) => matches(p, d.key)));
  const ours = patterns
    .filter((p) => !foreign.some((d) => matches(p, d.key)))
    .map((key) => ({ key, definition: null }));
  if (foreign.length === 0) return { keys: ours, filter: false, queue: null };
  const queues = foreign.flatMap((d) => (d.delivery?.is === 'queue' ? [d.delivery.queue] : []));
  if (queues.length > 0) {
    if (new Set(queues.map((q) => q.name)).size > 1 || queues.length !== foreign.length || ours.length > 0)
      throw new RangeError(
        `subscribe: ${foreign.map((d) => d.key).join(', ')} do not share one queue: a channel bound as a queue (is: queue) is subscribed alone, or with the other channels of that queue`,
      );
    const queue = queues[0] ?? null;
    if (queue === null || !HAS_PLACEHOLDER.test(queue.name)) return { keys: [], filter: false, queue };
    // A queue named by a parameter (`{queue}`): the subscriber names it with `parameters`.
    const name = queue.name.replace(/\{([^{}]+)\}/g, (_, p: string) => {
      const value = pinned?.[p];
      if (value === undefined || value === '')
        throw new RangeError(
          `subscribe: the queue ${queue.name} is named by a parameter: pass parameters.${p}`,
        );
      return value;
    });
    return { keys: [], filter: false, queue: { ...queue, name } };
  }
  let filter = false;
  const keys: Array<{ key: string; definition: EventDefinition | null }> = [...ours];
  for (const d of foreign) {
    const binding = bindingKeyOf(d, pinned);
    if (!binding) continue;
    filter ||= binding.filter;
    keys.push({ key: binding.key, definition: d });
  }
  return { keys, filter, queue: null };
}
