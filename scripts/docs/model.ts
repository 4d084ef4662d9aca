/**
 * The docs site's model, read from the AsyncAPI document as @asyncapi/parser returns it (`document.json()`:
 * every `$ref` resolved). One entry per channel; Bloodbank envelopes (`x-bloodbank-envelope`) are split
 * into the envelope and the typed payload; foreign documents keep the whole message payload.
 */

type Json = { readonly [key: string]: unknown };

export interface AmqpChannelBinding {
  readonly exchange: string | null;
  readonly exchangeType: string | null;
  readonly durable: boolean | null;
  readonly autoDelete: boolean | null;
  readonly vhost: string | null;
  readonly is: string | null;
}

export interface DocsOperation {
  readonly id: string;
  readonly action: 'send' | 'receive';
  readonly summary: string;
  /** Operation binding (`deliveryMode`, `ack`, …) as written. */
  readonly binding: Json | null;
}

export interface DocsEvent {
  readonly key: string;
  readonly domain: string;
  readonly group: string;
  readonly kind: 'event' | 'command';
  readonly title: string;
  readonly summary: string;
  readonly description: string;
  readonly messageName: string;
  /** The message says `deprecated: true` (an older version kept while producers move on). */
  readonly deprecated: boolean;
  readonly contentType: string;
  readonly tags: readonly string[];
  readonly channelBinding: AmqpChannelBinding | null;
  /** The message's AMQP binding (`contentEncoding`, `messageType`). */
  readonly messageBinding: Json | null;
  readonly operations: readonly DocsOperation[];
  readonly replyKey: string | null;
  readonly errorKey: string | null;
  /** Commands whose reply or failure this event is. */
  readonly replyOf: readonly string[];
  readonly failureOf: readonly string[];
  /** The typed payload's schema. */
  readonly payloadSchema: Json;
  /** The envelope schema, when the message uses the Bloodbank envelope. */
  readonly envelopeSchema: Json | null;
  readonly schemaId: string | null;
  readonly examples: readonly unknown[];
}

export interface DocsModel {
  readonly title: string;
  readonly version: string;
  readonly description: string;
  readonly servers: readonly {
    readonly name: string;
    readonly host: string;
    readonly protocol: string;
    readonly description: string;
  }[];
  readonly events: readonly DocsEvent[];
  readonly domains: readonly { readonly name: string; readonly events: readonly DocsEvent[] }[];
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

function bool(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

/** Drop the parser's bookkeeping keys (`x-parser-*`) from a schema, recursively (cycles kept as they are). */
export function clean(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (Array.isArray(value)) {
    if (seen.has(value)) return seen.get(value);
    const out: unknown[] = [];
    seen.set(value, out);
    for (const v of value) out.push(clean(v, seen));
    return out;
  }
  if (!isJson(value)) return value;
  if (seen.has(value)) return seen.get(value);
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('x-parser-')) out[k] = clean(v, seen);
  return out;
}

function splitEnvelope(schema: Json): { envelope: Json | null; payload: Json } {
  const parts = Array.isArray(schema['allOf']) ? (schema['allOf'] as unknown[]).filter(isJson) : [];
  const envelope = parts.find((p) => p['x-bloodbank-envelope'] === true);
  if (!envelope) return { envelope: null, payload: schema };
  for (const p of parts) {
    const props = p['properties'];
    if (p !== envelope && isJson(props) && isJson(props['payload']))
      return { envelope, payload: props['payload'] };
  }
  return {
    envelope,
    payload:
      isJson(envelope['properties']) && isJson(envelope['properties']['payload'])
        ? envelope['properties']['payload']
        : {},
  };
}

function first(record: unknown): Json | null {
  if (!isJson(record)) return null;
  const value = Object.values(record)[0];
  return isJson(value) ? value : null;
}

/** Build the model from the parser's `document.json()`. */
export function buildModel(doc: Json): DocsModel {
  const info = isJson(doc['info']) ? doc['info'] : {};
  const channels = isJson(doc['channels']) ? doc['channels'] : {};
  const operations = isJson(doc['operations']) ? doc['operations'] : {};
  const servers = isJson(doc['servers']) ? doc['servers'] : {};

  const opsByChannel = new Map<string, DocsOperation[]>();
  const replies = new Map<string, string>();
  const failures = new Map<string, string>();
  for (const [id, raw] of Object.entries(operations)) {
    if (!isJson(raw)) continue;
    const channel = isJson(raw['channel']) ? str(raw['channel']['address']) : '';
    if (!channel) continue;
    const list = opsByChannel.get(channel) ?? [];
    list.push({
      id,
      action: raw['action'] === 'receive' ? 'receive' : 'send',
      summary: str(raw['summary']),
      binding:
        isJson(raw['bindings']) && isJson(raw['bindings']['amqp'])
          ? (clean(raw['bindings']['amqp']) as Json)
          : null,
    });
    opsByChannel.set(channel, list);
    const reply =
      isJson(raw['reply']) && isJson(raw['reply']['channel']) ? str(raw['reply']['channel']['address']) : '';
    if (reply) replies.set(channel, reply);
    const failure = str(raw['x-bloodbank-error']);
    if (failure) failures.set(channel, failure);
  }

  const events: DocsEvent[] = [];
  for (const [name, raw] of Object.entries(channels)) {
    if (!isJson(raw)) continue;
    const key = str(raw['address'], name);
    const message = first(raw['messages']) ?? {};
    const payloadHolder = isJson(message['payload']) ? message['payload'] : {};
    // AsyncAPI 3 multi-format schema object ({ schemaFormat, schema }) or a plain schema.
    const schema =
      isJson(payloadHolder['schema']) && 'schemaFormat' in payloadHolder
        ? payloadHolder['schema']
        : payloadHolder;
    const { envelope, payload } = splitEnvelope(clean(schema) as Json);
    const tags = Array.isArray(message['tags'])
      ? (message['tags'] as unknown[]).map((t) => (isJson(t) ? str(t['name']) : '')).filter(Boolean)
      : [];
    const amqp = isJson(raw['bindings']) && isJson(raw['bindings']['amqp']) ? raw['bindings']['amqp'] : null;
    const exchange = amqp && isJson(amqp['exchange']) ? amqp['exchange'] : null;
    const messageBinding =
      isJson(message['bindings']) && isJson(message['bindings']['amqp'])
        ? (clean(message['bindings']['amqp']) as Json)
        : null;
    const examples = [
      ...(Array.isArray(payload['examples']) ? (payload['examples'] as unknown[]) : []),
      ...(Array.isArray(message['examples'])
        ? (message['examples'] as unknown[]).map((e) => (isJson(e) && 'payload' in e ? e['payload'] : e))
        : []),
    ];
    const replyKey = replies.get(key) ?? null;
    const tokens = key.split('.');
    events.push({
      key,
      domain: tokens[0] ?? key,
      group: str(raw['x-bloodbank-group'], tokens.slice(0, -1).join('/')),
      kind: tags.includes('command') || replyKey ? 'command' : 'event',
      title: str(raw['title'], str(message['title'], key)),
      summary: str(message['summary'], str(raw['summary'])),
      description: str(raw['description'], str(message['description'])),
      messageName: str(message['name'], key),
      deprecated: message['deprecated'] === true,
      contentType: str(message['contentType'], str(doc['defaultContentType'], 'application/json')),
      tags,
      channelBinding: amqp
        ? {
            is: str(amqp['is']) || null,
            exchange: exchange ? str(exchange['name']) || null : null,
            exchangeType: exchange ? str(exchange['type']) || null : null,
            durable: exchange ? bool(exchange['durable']) : null,
            autoDelete: exchange ? bool(exchange['autoDelete']) : null,
            vhost: exchange ? str(exchange['vhost']) || null : null,
          }
        : null,
      messageBinding,
      operations: opsByChannel.get(key) ?? [],
      replyKey,
      errorKey: failures.get(key) ?? null,
      replyOf: [],
      failureOf: [],
      payloadSchema: payload,
      envelopeSchema: envelope,
      schemaId: str(payload['$id']) || null,
      examples,
    });
  }
  events.sort((a, b) => a.key.localeCompare(b.key));
  const withLinks = events.map((e) => ({
    ...e,
    replyOf: events.filter((c) => c.replyKey === e.key).map((c) => c.key),
    failureOf: events.filter((c) => c.errorKey === e.key).map((c) => c.key),
  }));
  const domainNames = [...new Set(withLinks.map((e) => e.domain))].sort();
  return {
    title: str(info['title'], 'AsyncAPI'),
    version: str(info['version']),
    description: str(info['description']),
    servers: Object.entries(servers).flatMap(([name, s]) =>
      isJson(s)
        ? [
            {
              name,
              host: str(s['host']),
              protocol: `${str(s['protocol'])} ${str(s['protocolVersion'])}`.trim(),
              description: str(s['description']),
            },
          ]
        : [],
    ),
    events: withLinks,
    domains: domainNames.map((name) => ({ name, events: withLinks.filter((e) => e.domain === name) })),
  };
}
