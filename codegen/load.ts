/**
 * load: AsyncAPI document (2.0–2.6 or 3.x, YAML or JSON) → Model.
 *
 * The STRUCTURE is read from @asyncapi/parser's model (validate-document.ts, in the parser's worker):
 * channels, addresses, parameters, bindings, servers' protocols, messages (traits applied), headers,
 * correlation ids, operations with their intent (`isSend()`/`isReceive()`: a 2.x `publish` is what others
 * send to the application) and replies. AsyncAPI 2.x is read through the same model (the parser reads
 * both): converting with @asyncapi/converter first would change the pointers that error messages name
 * into a document the user never wrote, and would add a second reader of the document.
 *
 * The SCHEMAS are found by the model's JSON pointers in our own schema store (schema-store.ts), which is
 * kept for what the model lacks: the model resolves every `$ref` away, while codegen needs each schema's
 * file and pointer (so a schema shared by several messages becomes one named type with one validator, and
 * errors name the file the user edits), and ajv needs the files as written (`$id`s and refs). Payloads in
 * another format (Avro) have no JSON Schema in any file: the parser's schema parser converts them, and
 * that conversion is registered in the store as a document of its own.
 */
import { dirname, join, resolve as resolvePath } from 'node:path';
import { CodegenError } from 'bloodbank/errors/codegen-error.js';
import type { DeliveryBinding, ExchangeBinding, ParameterDefinition } from 'bloodbank/registry.js';
import { ROUTING_KEY } from 'bloodbank/registry.js';
import type { EventModel, Model } from './model.js';
import { eventNames } from './names.js';
import { bundleForParser, startParser } from './parser.js';
import { escapePointer, isObject, SchemaStore } from './schema-store.js';
import type { Json, JsonObject, Location, SchemaDoc } from './schema-store.js';
import { AVRO, isJsonSchemaFormat } from './schema-formats.js';
import type { ParsedChannel, ParsedDocument, ParsedMessage, ParsedOperation } from './validate-document.js';

export { ROUTING_KEY } from 'bloodbank/registry.js';
export { bundleForParser, type ParserInput, type ParserMode, startValidation } from './parser.js';

export interface LoadOptions {
  /** Print warnings (ignored `$ref` siblings, …) here; default: stderr. */
  readonly warn?: (message: string) => void;
}

export async function loadModel(inputPath: string, options: LoadOptions = {}): Promise<Model> {
  // A worker starts loading @asyncapi/parser before the document is even read (see ParserMode).
  const parser = startParser();
  try {
    const input = resolvePath(inputPath);
    const store = new SchemaStore(dirname(input));
    const doc = store.load(input);
    const display = store.display(input);
    const root = doc.json;
    if (!isObject(root)) throw new CodegenError(display, '', 'not an AsyncAPI document (expected a mapping)');
    const version = root['asyncapi'];
    if (typeof version !== 'string' || !/^[23]\./.test(version)) {
      throw new CodegenError(
        display,
        '/asyncapi',
        `expected an AsyncAPI 2.x or 3.x document, got ${JSON.stringify(version ?? null)}`,
      );
    }
    store.preload(join(dirname(input), 'schemas'));
    const parsed = await parser.parse(bundleForParser(store, doc), display).catch(async (error: unknown) => {
      // The parser reports a broken schema file where a message reaches it; the file's own pointer is
      // what the user edits, so a schema file the draft-07 meta-schema rejects is named first.
      await checkSchemaFiles(store, doc);
      throw error;
    });
    // Springwolf's polymorphism (a base's oneOf of subtypes that allOf it back) read as Springwolf means it.
    const warnings: string[] = store.unfoldPolymorphism(display);
    const model = buildModel(store, doc, display, parsed, warnings);
    const warn = options.warn ?? ((m: string) => process.stderr.write(`codegen: warning: ${m}\n`));
    for (const w of warnings) warn(w);
    return model;
  } finally {
    parser.terminate();
  }
}

/** The first JSON schema file (not the document) that the draft-07 meta-schema rejects, as a CodegenError. */
async function checkSchemaFiles(store: SchemaStore, main: SchemaDoc): Promise<void> {
  const { Ajv } = await import('ajv');
  const ajv = new Ajv({ strict: false });
  for (const d of store.docs()) {
    if (d === main || !/\.json$/i.test(d.file) || !isObject(d.json)) continue;
    let valid: boolean;
    try {
      valid = ajv.validateSchema(d.json) as boolean;
    } catch {
      continue; // another draft's meta-schema: the parser's diagnosis stands
    }
    if (valid) continue;
    const e = ajv.errors?.[0];
    throw new CodegenError(
      store.display(d.file),
      e?.instancePath ?? '',
      `invalid JSON Schema: ${e ? `${e.instancePath || '(root)'} ${e.message ?? e.keyword}` : 'rejected by the draft-07 meta-schema'}`,
    );
  }
}

/** `[A-Za-z0-9._-]+`: what a registry key (and a route, an MCP tool name) may hold. */
const SAFE_KEY = /^[A-Za-z0-9._-]+$/;

/**
 * A key from a name the document gives (a 3.x channel id is usually already safe); else its words joined
 * with `.`: a 2.x channel named `smartylighting/streetlights/1/0/event/{id}/lighting/measured` becomes
 * `smartylighting.streetlights.1.0.event.id.lighting.measured`, `/` becomes `root`.
 */
export function safeKey(text: string): string {
  if (SAFE_KEY.test(text)) return text;
  return (
    text
      .replace(/[{}]/g, '')
      .split(/[^A-Za-z0-9_-]+/)
      .filter(Boolean)
      .join('.') || 'root'
  );
}

/** Follows `$ref`s through the document's structure (not schemas): the node at a model pointer. */
class Walker {
  constructor(
    private readonly store: SchemaStore,
    private readonly doc: SchemaDoc,
    private readonly warnings: string[],
  ) {}

  /** A Reference Object's target; its sibling keys are ignored, as the specification says (with a warning). */
  follow(loc: Location, seen = new Set<string>()): Location {
    const node = this.store.get(loc);
    if (!isObject(node) || typeof node['$ref'] !== 'string') return loc;
    const key = `${loc.doc.file}#${loc.pointer}`;
    if (seen.has(key)) throw new CodegenError(this.store.display(loc.doc.file), loc.pointer, 'circular $ref');
    seen.add(key);
    const siblings = Object.keys(node).filter((k) => k !== '$ref');
    if (siblings.length > 0 && !isSchemaPointer(loc.pointer))
      this.warnings.push(
        `${this.store.display(loc.doc.file)}#${loc.pointer}: keys beside $ref ignored (${siblings.join(', ')}), as the AsyncAPI specification says of a Reference Object`,
      );
    return this.follow(this.store.resolve(node['$ref'], loc), seen);
  }

  /** The location the model's pointer `pointer` reaches from the document's root, through `$ref`s. */
  at(pointer: string): Location {
    let loc: Location = { doc: this.doc, pointer: '' };
    if (pointer === '') return loc;
    for (const token of pointer.slice(1).split('/')) {
      loc = this.follow(loc);
      loc = { doc: loc.doc, pointer: `${loc.pointer}/${token}` };
    }
    return this.follow(loc);
  }

  /**
   * A field of a message (`payload`, `headers`), written on the message or on one of its traits (the
   * parser's model applies traits; the document's own location is on the trait, the last one that has it).
   */
  member(msgLoc: Location, field: string): Location | null {
    const own = this.follow({ doc: msgLoc.doc, pointer: `${msgLoc.pointer}/${field}` });
    if (this.store.get(own) !== undefined) return own;
    const msg = this.store.get(msgLoc);
    const traits = isObject(msg) && Array.isArray(msg['traits']) ? msg['traits'] : [];
    for (let i = traits.length - 1; i >= 0; i--) {
      const trait = this.follow({ doc: msgLoc.doc, pointer: `${msgLoc.pointer}/traits/${i}` });
      const at = this.follow({ doc: trait.doc, pointer: `${trait.pointer}/${field}` });
      if (this.store.get(at) !== undefined) return at;
    }
    return null;
  }
}

/** Inside a payload or headers schema, where `$ref` siblings are JSON Schema's business, not ours. */
function isSchemaPointer(pointer: string): boolean {
  return /\/(payload|headers|schema)(\/|$)/.test(pointer);
}

/** A Multi Format Schema Object (3.x `{schemaFormat, schema}`) or a plain schema. */
function schemaIn(store: SchemaStore, walker: Walker, loc: Location): Location {
  const node = store.get(loc);
  if (isObject(node) && node['schema'] !== undefined && node['schemaFormat'] !== undefined)
    return walker.follow({ doc: loc.doc, pointer: `${loc.pointer}/schema` });
  return loc;
}

interface Draft {
  channel: ParsedChannel;
  message: ParsedMessage;
  key: string;
  msgLoc: Location;
  payload: Location;
  envelope: Location | null;
  headers: Location | null;
}

function buildModel(
  store: SchemaStore,
  doc: SchemaDoc,
  display: string,
  parsed: ParsedDocument,
  warnings: string[],
): Model {
  const walker = new Walker(store, doc, warnings);
  const v2 = parsed.asyncapi.startsWith('2.');
  const opsByChannel = new Map<string, ParsedOperation[]>();
  for (const op of parsed.operations)
    if (op.channelId !== null)
      opsByChannel.set(op.channelId, [...(opsByChannel.get(op.channelId) ?? []), op]);

  // First pass: every (channel, message) with its schema locations; whether the document is ours.
  let envelope: Location | null = null;
  const drafts: Draft[] = [];
  for (const channel of parsed.channels) {
    // A channel without messages (a binding-only queue declaration) is accepted: there is nothing to
    // publish or consume on it, so it has no registry entry.
    for (const message of channel.messages) {
      const msgLoc = walker.at(message.pointer);
      if (!isJsonSchemaFormat(message.schemaFormat) && !AVRO.test(message.schemaFormat ?? ''))
        throw new CodegenError(
          display,
          `${message.pointer}/payload`,
          `message ${message.id} of channel ${channel.id}: schema format ${message.schemaFormat} is not supported (JSON Schema drafts 04–07 in JSON or YAML, AsyncAPI Schema, Avro)`,
        );
      let payload: Location;
      if (message.converted !== null) {
        // Converted by the parser's schema parser (Avro): a schema document of its own, not on disk.
        const file = resolvePath(
          dirname(doc.file),
          `${display}.converted`,
          `${safeKey(channel.id)}.${safeKey(message.id)}.schema.json`,
        );
        payload = { doc: store.addDocument(file, message.converted), pointer: '' };
      } else if (message.hasPayload && walker.member(msgLoc, 'payload')) {
        payload = schemaIn(store, walker, walker.member(msgLoc, 'payload') as Location);
        if (/\/message\/oneOf\/\d+\//.test(payload.pointer)) {
          // An inline 2.x message under `message.oneOf`: ajv reads the document as a schema and its
          // tolerant copy turns every `oneOf` into `anyOf`, so the payload gets a document of its own,
          // its `$ref`s made absolute (the same targets, so shared schemas stay shared named types).
          const file = resolvePath(
            dirname(doc.file),
            `${display}.converted`,
            `${safeKey(channel.id)}.${safeKey(message.id)}.schema.json`,
          );
          payload = { doc: store.addDocument(file, relocated(store, payload)), pointer: '' };
        }
      } else {
        // No payload: any value (the specification leaves it open).
        const file = resolvePath(dirname(doc.file), `${display}.converted`, 'any.schema.json');
        payload = { doc: store.addDocument(file, {}), pointer: '' };
      }
      const unwrapped = unwrapEnvelope(store, payload, display);
      if (unwrapped && !envelope) envelope = unwrapped.envelope;
      const headersAt = message.hasHeaders ? walker.member(msgLoc, 'headers') : null;
      const headers = headersAt ? schemaIn(store, walker, headersAt) : null;
      drafts.push({
        channel,
        message,
        key: '',
        msgLoc,
        payload: unwrapped ? unwrapped.payload : payload,
        envelope: unwrapped ? unwrapped.envelope : null,
        headers,
      });
    }
  }
  const ours = envelope !== null;
  if (drafts.length === 0)
    warnings.push(
      `${display}: no channel has a message, so there is nothing to publish or consume: the output declares no event (schemas under components are generated only where a message uses them)`,
    );

  // Keys. Ours: the routing key is the address, in the grammar of DESIGN.md §3, one message a channel.
  // A document we did not write: the channel id (+ `.messageId` when the channel has several messages).
  const channelKeys = new Map<string, string>();
  const taken = new Set<string>();
  // A document without our envelope whose channel address is already a routing key of our grammar (one
  // message, no placeholder, no other channel on that address) keeps it as its key, so documents written
  // for Bloodbank without the envelope keep their keys and names; every other channel is keyed by its id.
  const addressCount = new Map<string, number>();
  for (const c of parsed.channels)
    if (c.address !== null) addressCount.set(c.address, (addressCount.get(c.address) ?? 0) + 1);
  const grammatical = (c: ParsedChannel): boolean =>
    c.address !== null &&
    ROUTING_KEY.test(c.address) &&
    c.messages.length === 1 &&
    addressCount.get(c.address) === 1;
  for (const channel of parsed.channels) {
    let base: string;
    if (ours || grammatical(channel)) base = channel.address ?? channel.id;
    else if (v2) {
      // 2.x names a channel by its address: its one operationId names it better, when there is one.
      const ids = [...new Set((opsByChannel.get(channel.id) ?? []).map((o) => o.id).filter(Boolean))];
      base = safeKey(ids.length === 1 ? (ids[0] as string) : channel.id);
    } else base = safeKey(channel.id);
    let key = base;
    for (let n = 2; !ours && taken.has(key); n++) key = `${base}-${n}`;
    taken.add(key);
    channelKeys.set(channel.id, key);
  }
  const seenKeys = new Map<string, string>();
  for (const d of drafts) {
    const chPointer = d.channel.pointer;
    const base = channelKeys.get(d.channel.id) as string;
    if (ours) {
      if (!ROUTING_KEY.test(base))
        throw new CodegenError(
          display,
          `${chPointer}/address`,
          `routing key ${JSON.stringify(base)} is outside the grammar ${ROUTING_KEY.source} (2 to 6 lowercase tokens; no * or #), which documents using the Bloodbank envelope follow`,
        );
      if (d.channel.messages.length > 1)
        throw new CodegenError(
          display,
          `${chPointer}/messages`,
          `channel ${d.channel.id} has ${d.channel.messages.length} messages; in a document using the Bloodbank envelope one routing key carries one message type`,
        );
      const dup = seenKeys.get(base);
      if (dup)
        throw new CodegenError(
          display,
          chPointer,
          `routing key ${base} is also the address of channel ${dup}`,
        );
    }
    d.key = d.channel.messages.length > 1 ? `${base}.${safeKey(d.message.id)}` : base;
    seenKeys.set(d.key, d.channel.id);
  }
  const keyOf = (channelId: string | null, messageId: string | null): string | null => {
    if (channelId === null) return null;
    const candidates = drafts.filter((d) => d.channel.id === channelId);
    if (messageId !== null) return candidates.find((d) => d.message.id === messageId)?.key ?? null;
    return candidates.length === 1 ? (candidates[0] as Draft).key : null;
  };

  // `x-bloodbank-error` names a key, or (a document without our envelope) a channel by its address.
  const errorKeyOf = (name: string): string => {
    if (drafts.some((d) => d.key === name)) return name;
    const byAddress = drafts.filter((d) => d.channel.address === name);
    return byAddress.length === 1 ? (byAddress[0] as Draft).key : name;
  };
  const events: EventModel[] = drafts.map((d) => {
    const { channel, message, key } = d;
    const ops = (opsByChannel.get(channel.id) ?? []).filter(
      (o) => o.messageIds.length === 0 || o.messageIds.includes(message.id),
    );
    const payloadSchema = store.get(store.deref(d.payload));
    const schemaObj = isObject(payloadSchema) ? payloadSchema : {};
    // Replies: a `send` with a reply is a request we make, a `receive` with one a request we answer.
    let replyKey: string | null = null;
    let replyAddress: string | null = null;
    let errorKey: string | null = null;
    let replied = false;
    for (const op of ops) {
      if (op.errorKey !== null) errorKey ??= errorKeyOf(op.errorKey);
      if (!op.reply) continue;
      replied = true;
      replyKey ??= keyOf(
        op.reply.channelId,
        op.reply.messageIds.length === 1 ? (op.reply.messageIds[0] as string) : null,
      );
      if (op.reply.address !== null) replyAddress ??= op.reply.address;
    }
    const tagged = message.tags.includes('command');
    const kind = tagged || replied ? 'command' : 'event';
    const tokens = key.split('.');
    const domain = tokens[0] as string;
    const examples: Json[] = [];
    if (Array.isArray(schemaObj['examples'])) examples.push(...schemaObj['examples']);
    for (const ex of message.examples) {
      if (ex.payload === undefined) continue;
      const p = ex.payload;
      examples.push(d.envelope && isObject(p) && p['payload'] !== undefined ? (p['payload'] as Json) : p);
    }
    const str = (v: Json | string | null | undefined): string | null =>
      typeof v === 'string' && v.trim() ? v.trim() : null;
    const base: EventModel = {
      key,
      tokens,
      domain,
      group: channel.group ?? domain,
      kind,
      names: eventNames(key),
      channelId: channel.id,
      title: str(message.title) ?? str(schemaObj['title'] as Json) ?? str(message.name) ?? key,
      description:
        str(schemaObj['description'] as Json) ?? str(message.description) ?? str(message.summary) ?? '',
      payload: d.payload,
      replyKey,
      errorKey,
      exchange: channelExchange(channel, display),
      examples,
      foreign: null,
    };
    if (ours) return base;
    return {
      ...base,
      foreign: {
        messageId: message.id,
        address: channel.address,
        parameters: addressParameters(channel),
        delivery: deliveryOf(channel, message, ops),
        discriminator: null,
        headers: d.headers,
        correlationIdLocation: message.correlationId,
        replyAddress,
        send: ops.filter((o) => o.action === 'send').map((o) => o.id),
        receive: ops.filter((o) => o.action === 'receive').map((o) => o.id),
        replyOperations: ops.filter((o) => o.reply !== null).map((o) => o.id),
        operations: ops.length > 0 || (opsByChannel.get(channel.id) ?? []).length > 0,
      },
    };
  });
  if (ours) for (const d of drafts) checkEventType(store, d, display);
  else addDiscriminators(store, events);

  events.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const keys = new Set(events.map((e) => e.key));
  for (const e of events) {
    for (const [what, target] of [
      ['reply', e.replyKey],
      ['x-bloodbank-error', e.errorKey],
    ] as const) {
      if (target !== null && !keys.has(target)) {
        throw new CodegenError(
          display,
          `/channels/${escapePointer(e.channelId)}`,
          `${what} of ${e.key} names ${target}, which is no channel of this document`,
        );
      }
    }
  }
  return {
    input: display,
    title: parsed.title || 'AsyncAPI',
    version: parsed.version || '0.0.0',
    events,
    envelope,
    store,
    document: doc,
    validation: Promise.resolve(),
  };
}

/** A copy of the schema at `loc` whose `$ref`s are absolute (`uri#pointer`): it reads the same anywhere. */
function relocated(store: SchemaStore, loc: Location): Json {
  const DATA = new Set(['examples', 'example', 'default', 'const', 'enum']);
  const copy = (node: Json, pointer: string): Json => {
    if (Array.isArray(node)) return node.map((n, i) => copy(n, `${pointer}/${i}`));
    if (!isObject(node)) return node;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') {
        const target = store.resolve(v, { doc: loc.doc, pointer });
        out[k] = `${target.doc.uri}#${target.pointer}`;
      } else if (DATA.has(k)) out[k] = v;
      else out[k] = copy(v, `${pointer}/${escapePointer(k)}`);
    }
    return out;
  };
  return copy(store.get(loc) ?? {}, loc.pointer);
}

/** Ours: the envelope's `event_type` const must be the channel's address. */
function checkEventType(store: SchemaStore, d: Draft, display: string): void {
  if (!d.envelope) return;
  const payloadPointer = d.payload.pointer;
  const branch = { doc: d.payload.doc, pointer: payloadPointer.replace(/\/properties\/payload$/, '') };
  const node = store.get(branch);
  const et = isObject(node) && isObject(node['properties']) ? node['properties']['event_type'] : undefined;
  if (isObject(et) && et['const'] !== undefined && et['const'] !== d.key)
    throw new CodegenError(
      display,
      `${branch.pointer}/properties/event_type/const`,
      `event_type const ${JSON.stringify(et['const'])} differs from the channel address ${d.key}`,
    );
}

/**
 * The Bloodbank shape: `allOf: [ {$ref: envelope.json (x-bloodbank-envelope)}, {properties: {event_type: {const}, payload}} ]`.
 * Returns null for a foreign document (the whole message payload is then the payload).
 */
function unwrapEnvelope(
  store: SchemaStore,
  schemaLoc: Location,
  display: string,
): { envelope: Location; payload: Location } | null {
  const loc = store.deref(schemaLoc);
  const node = store.get(loc);
  if (!isObject(node) || !Array.isArray(node['allOf'])) return null;
  let envelope: Location | null = null;
  let payload: Location | null = null;
  node['allOf'].forEach((_branch, i) => {
    const bLoc = store.deref({ doc: loc.doc, pointer: `${loc.pointer}/allOf/${i}` });
    const b = store.get(bLoc);
    if (!isObject(b)) return;
    if (b['x-bloodbank-envelope'] === true) envelope = bLoc;
    else if (isObject(b['properties']) && b['properties']['payload'] !== undefined)
      payload = { doc: bLoc.doc, pointer: `${bLoc.pointer}/properties/payload` };
  });
  if (!envelope) return null;
  if (!payload)
    throw new CodegenError(
      display,
      loc.pointer,
      'message uses the envelope but does not say what its payload is (properties.payload)',
    );
  return { envelope, payload };
}

const EXCHANGE_TYPES = ['topic', 'direct', 'fanout', 'headers'] as const;

/**
 * The exchange a channel's AMQP binding names (`bindings.amqp.exchange`, 2.x and 3.x alike), or null when
 * it names none (no binding, `is: queue`, no exchange name, or the `default` exchange): the runtime then
 * uses its default exchange. `type` defaults to `topic` and `durable` to true, as RabbitMQ declares them.
 */
function channelExchange(channel: ParsedChannel, display: string): ExchangeBinding | null {
  const amqp = channel.bindings['amqp'];
  if (!isObject(amqp) || amqp['is'] === 'queue' || !isObject(amqp['exchange'])) return null;
  const exchange = amqp['exchange'];
  const at = `${channel.pointer}/bindings/amqp/exchange`;
  if (exchange['name'] === undefined || exchange['name'] === null) return null;
  if (typeof exchange['name'] !== 'string' || exchange['name'] === '')
    throw new CodegenError(display, `${at}/name`, 'exchange name must be a non-empty string');
  const type = exchange['type'] ?? 'topic';
  if (type === 'default') return null;
  if (!EXCHANGE_TYPES.includes(type as ExchangeBinding['type']))
    throw new CodegenError(
      display,
      `${at}/type`,
      `exchange type ${JSON.stringify(type)} is not supported (one of ${EXCHANGE_TYPES.join(', ')})`,
    );
  const durable = exchange['durable'] ?? true;
  if (typeof durable !== 'boolean')
    throw new CodegenError(display, `${at}/durable`, 'durable must be true or false');
  return { name: exchange['name'], type: type as ExchangeBinding['type'], durable };
}

/** The address's `{param}` placeholders in order, described by the channel's parameters. */
function addressParameters(channel: ParsedChannel): ParameterDefinition[] {
  if (channel.address === null) return [];
  const names = [...new Set([...channel.address.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1] as string))];
  return names.map((name) => {
    const p = channel.parameters.find((q) => q.name === name);
    return p ? { ...p } : { name };
  });
}

/**
 * How the channel meets RabbitMQ: AMQP `is: queue` (the default exchange, the queue's name as key),
 * an MQTT server's topic (RabbitMQ's MQTT plugin: `/` → `.` on `amq.topic`), else a routing key with the
 * message and operation bindings' properties (`messageType`, `cc`, `deliveryMode`, `expiration`, `priority`).
 */
function deliveryOf(
  channel: ParsedChannel,
  message: ParsedMessage,
  ops: readonly ParsedOperation[],
): DeliveryBinding {
  const amqp = channel.bindings['amqp'];
  const msgAmqp = message.bindings['amqp'];
  const messageType =
    isObject(msgAmqp) && typeof msgAmqp['messageType'] === 'string' ? msgAmqp['messageType'] : undefined;
  if (isObject(amqp) && amqp['is'] === 'queue') {
    const q = isObject(amqp['queue']) ? amqp['queue'] : {};
    const bool = (v: Json | undefined, d: boolean) => (typeof v === 'boolean' ? v : d);
    return {
      is: 'queue',
      queue: {
        name: typeof q['name'] === 'string' && q['name'] ? q['name'] : (channel.address ?? channel.id),
        durable: bool(q['durable'], true),
        exclusive: bool(q['exclusive'], false),
        autoDelete: bool(q['autoDelete'], false),
      },
      ...(messageType !== undefined ? { messageType } : {}),
    };
  }
  if (
    !isObject(amqp) &&
    channel.protocols.includes('mqtt') &&
    !channel.protocols.some((p) => /^amqp/.test(p))
  ) {
    const qos = ops
      .map((o) => o.bindings['mqtt'])
      .map((b) => (isObject(b) ? b['qos'] : undefined))
      .find((q) => q === 0 || q === 1 || q === 2);
    return { is: 'mqtt', ...(qos !== undefined ? { qos: qos as 0 | 1 | 2 } : {}) };
  }
  const opAmqp = ops
    .filter((o) => o.action === 'send')
    .concat(ops)
    .map((o) => o.bindings['amqp'])
    .find((b) => isObject(b)) as JsonObject | undefined;
  const cc =
    opAmqp && Array.isArray(opAmqp['cc'])
      ? opAmqp['cc'].filter((c): c is string => typeof c === 'string')
      : [];
  const deliveryMode = opAmqp?.['deliveryMode'];
  const expiration = opAmqp?.['expiration'];
  const priority = opAmqp?.['priority'];
  return {
    is: 'routingKey',
    ...(messageType !== undefined ? { messageType } : {}),
    ...(cc.length > 0 ? { cc } : {}),
    ...(deliveryMode === 1 || deliveryMode === 2 ? { deliveryMode } : {}),
    ...(typeof expiration === 'number' && expiration >= 0 ? { expiration } : {}),
    ...(typeof priority === 'number' ? { priority } : {}),
  };
}

/**
 * Several messages on one channel: a top-level property whose `const` (or one-value `enum`) differs in
 * every message tells them apart on consume (beside the AMQP `type` property).
 */
function addDiscriminators(store: SchemaStore, events: EventModel[]): void {
  const byChannel = new Map<string, EventModel[]>();
  for (const e of events) byChannel.set(e.channelId, [...(byChannel.get(e.channelId) ?? []), e]);
  for (const [, group] of byChannel) {
    if (group.length < 2) continue;
    const constsOf = (e: EventModel): Map<string, Json> => {
      const out = new Map<string, Json>();
      const s = store.get(store.deref(e.payload));
      if (!isObject(s) || !isObject(s['properties'])) return out;
      const required = Array.isArray(s['required']) ? s['required'] : [];
      for (const [name, raw] of Object.entries(s['properties'])) {
        if (!required.includes(name)) continue;
        let p: Json | undefined = raw;
        if (isObject(p) && typeof p['$ref'] === 'string')
          p = store.get(
            store.deref({
              doc: e.payload.doc,
              pointer: `${store.deref(e.payload).pointer}/properties/${escapePointer(name)}`,
            }),
          );
        if (!isObject(p)) continue;
        if (p['const'] !== undefined) out.set(name, p['const']);
        else if (Array.isArray(p['enum']) && p['enum'].length === 1) out.set(name, p['enum'][0] as Json);
      }
      return out;
    };
    const all = group.map(constsOf);
    const first = all[0] as Map<string, Json>;
    const name = [...first.keys()].find((n) => {
      const values = all.map((m) => (m.has(n) ? JSON.stringify(m.get(n)) : null));
      return values.every((v) => v !== null) && new Set(values).size === values.length;
    });
    if (name === undefined) continue;
    group.forEach((e, i) => {
      const f = e.foreign;
      if (f)
        (f as { discriminator: unknown }).discriminator = {
          pointer: `/${escapePointer(name)}`,
          value: all[i]?.get(name) ?? null,
        };
    });
  }
}
