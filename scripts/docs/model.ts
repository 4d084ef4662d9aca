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

/** One `{param}` of a channel address (AsyncAPI Parameter Object). */
export interface DocsParameter {
  readonly name: string;
  readonly enum: readonly string[] | null;
  readonly default: string | null;
  readonly description: string;
  readonly examples: readonly string[];
  readonly location: string | null;
}

export interface DocsEvent {
  /**
   * The entry's name, as the registry names it: the address for our catalogue (a routing key of the
   * grammar), else the channel id, or `channelId.messageId` when the channel has several messages.
   */
  readonly key: string;
  readonly channelId: string;
  readonly messageId: string;
  /** The address as written (`{param}` placeholders kept); null when the document leaves it to the caller. */
  readonly address: string | null;
  readonly parameters: readonly DocsParameter[];
  /** The message's `headers` schema (carried as AMQP headers), when it declares one. */
  readonly headersSchema: Json | null;
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

/** DESIGN.md §3: a routing key of our catalogue. */
const ROUTING_KEY = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,5}$/;

function messagesOf(channel: Json): [string, Json][] {
  const messages = channel['messages'];
  return isJson(messages) ? Object.entries(messages).filter((e): e is [string, Json] => isJson(e[1])) : [];
}

/** The entry names of a channel's messages (see `DocsEvent.key`). */
function entryKeys(channelId: string, channel: Json): string[] {
  const messages = messagesOf(channel);
  const address = channel['address'];
  if (messages.length <= 1)
    return [typeof address === 'string' && ROUTING_KEY.test(address) ? address : channelId];
  return messages.map(([messageId]) => `${channelId}.${messageId}`);
}

function parametersOf(channel: Json): DocsParameter[] {
  const params = isJson(channel['parameters']) ? channel['parameters'] : {};
  const strings = (v: unknown): string[] | null =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null;
  return Object.entries(params).map(([name, raw]) => {
    const p = isJson(raw) ? raw : {};
    return {
      name,
      enum: strings(p['enum']),
      default: typeof p['default'] === 'string' ? p['default'] : null,
      description: str(p['description']),
      examples: strings(p['examples']) ?? [],
      location: str(p['location']) || null,
    };
  });
}

/** Build the model from the parser's `document.json()`. */
export function buildModel(doc: Json): DocsModel {
  const channels = isJson(doc['channels']) ? doc['channels'] : {};
  const operations = isJson(doc['operations']) ? doc['operations'] : {};

  const opsByChannel = new Map<string, DocsOperation[]>();
  const replies = new Map<string, string>();
  const failures = new Map<string, string>();
  // Operations name their channel by reference: the parser marks each resolved channel with its id.
  const channelIdOf = (ref: unknown): string => {
    if (!isJson(ref)) return '';
    const id = str(ref['x-parser-unique-object-id']);
    if (id) return id;
    return Object.entries(channels).find(([, c]) => isJson(c) && c['address'] === ref['address'])?.[0] ?? '';
  };
  for (const [id, raw] of Object.entries(operations)) {
    if (!isJson(raw)) continue;
    const channel = channelIdOf(raw['channel']);
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
    const replyChannel = isJson(raw['reply']) ? channelIdOf(raw['reply']['channel']) : '';
    const replyRaw = replyChannel ? channels[replyChannel] : undefined;
    const reply = replyRaw && isJson(replyRaw) ? entryKeys(replyChannel, replyRaw)[0] : undefined;
    if (reply) replies.set(channel, reply);
    const failure = str(raw['x-bloodbank-error']);
    if (failure) failures.set(channel, failure);
  }

  const events: DocsEvent[] = [];
  for (const [name, raw] of Object.entries(channels)) {
    if (!isJson(raw)) continue;
    const keys = entryKeys(name, raw);
    const messages = messagesOf(raw);
    const entries: [string, Json][] = messages.length === 0 ? [['', {}]] : messages;
    entries.forEach(([messageId, message], index) => {
      const key = keys[index] ?? name;
      events.push(
        channelEntry(doc, name, raw, key, messageId, message, {
          operations: opsByChannel.get(name) ?? [],
          replyKey: replies.get(name) ?? null,
          errorKey: failures.get(name) ?? null,
        }),
      );
    });
  }
  return finish(doc, events);
}

/** The docs entry of one message of a channel. */
function channelEntry(
  doc: Json,
  channelId: string,
  raw: Json,
  key: string,
  messageId: string,
  message: Json,
  links: { operations: DocsOperation[]; replyKey: string | null; errorKey: string | null },
): DocsEvent {
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
  const { replyKey } = links;
  const address = typeof raw['address'] === 'string' ? raw['address'] : null;
  const ours = address !== null && ROUTING_KEY.test(address);
  // Ours: the first token. A document we did not write: the address's first word, else the channel id.
  const tokens = ours ? key.split('.') : (address ?? channelId).split(/[./]/).filter((t) => t !== '');
  const domain = (ours ? tokens[0] : tokens.find((t) => !t.startsWith('{'))) ?? channelId;
  return {
    key,
    channelId,
    messageId,
    address,
    parameters: parametersOf(raw),
    headersSchema: isJson(message['headers']) ? (clean(message['headers']) as Json) : null,
    domain,
    group: str(raw['x-bloodbank-group'], ours ? tokens.slice(0, -1).join('/') : domain),
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
    operations: links.operations,
    replyKey,
    errorKey: links.errorKey,
    replyOf: [],
    failureOf: [],
    payloadSchema: payload,
    envelopeSchema: envelope,
    schemaId: str(payload['$id']) || null,
    examples,
  };
}

function finish(doc: Json, events: DocsEvent[]): DocsModel {
  const info = isJson(doc['info']) ? doc['info'] : {};
  const servers = isJson(doc['servers']) ? doc['servers'] : {};
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
