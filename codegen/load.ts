/**
 * load: AsyncAPI document → Model. @asyncapi/parser validates the document (errors stop codegen with their
 * JSON pointer); the model is read from the raw document so that `$ref`s stay visible and shared schemas
 * become shared types.
 */
import { dirname, join, resolve as resolvePath } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CodegenError, isCodegenError } from 'bloodbank/errors/codegen-error.js';
import type { EventModel, Model } from './model.js';
import type { ParserReply } from './parser-worker.js';
import type { ParserDiagnostic } from './validate-document.js';
import { eventNames } from './names.js';
import { escapePointer, isObject, locationKey, pointerFragment, SchemaStore } from './schema-store.js';
import type { Json, JsonObject, Location, SchemaDoc } from './schema-store.js';
export { ROUTING_KEY } from 'bloodbank/registry.js';
import { type ExchangeBinding, ROUTING_KEY } from 'bloodbank/registry.js';

export interface LoadOptions {
  /** Skip @asyncapi/parser validation (used by `--check` fast paths and benchmarks of the emitter alone). */
  readonly skipValidation?: boolean;
}

export async function loadModel(inputPath: string, options: LoadOptions = {}): Promise<Model> {
  // A worker starts loading @asyncapi/parser before the document is even read (see ParserMode).
  const parser = options.skipValidation ? null : startParser();
  let validation: Promise<void> | null = null;
  try {
    const input = resolvePath(inputPath);
    const store = new SchemaStore(dirname(input));
    const doc = store.load(input);
    const display = store.display(input);
    const root = doc.json;
    if (!isObject(root)) throw new CodegenError(display, '', 'not an AsyncAPI document (expected a mapping)');
    const version = root['asyncapi'];
    if (typeof version !== 'string' || !version.startsWith('3.')) {
      throw new CodegenError(
        display,
        '/asyncapi',
        `expected an AsyncAPI 3.x document, got ${JSON.stringify(version ?? null)}`,
      );
    }
    try {
      store.preload(join(dirname(input), 'schemas'));
      if (parser) {
        validation = parser.validate(bundleForParser(store, doc), display);
        // Never leave a rejection unhandled when building the model fails first.
        validation.catch(() => undefined);
      }
      return await buildModel(input, store, doc, display, root, validation ?? Promise.resolve());
    } catch (error) {
      // An error located in a schema file is ours and precise; for the document itself the parser's
      // diagnosis of an invalid document comes first.
      if (validation && !(isCodegenError(error) && error.file !== display)) await validation;
      throw error;
    }
  } finally {
    if (!validation) parser?.terminate();
  }
}

async function buildModel(
  input: string,
  store: SchemaStore,
  doc: SchemaDoc,
  display: string,
  root: JsonObject,
  validation: Promise<void>,
): Promise<Model> {
  void input;

  const channels = isObject(root['channels']) ? root['channels'] : {};
  const operations = isObject(root['operations']) ? root['operations'] : {};

  // Operations that reply, indexed by the channel they receive on.
  const replies = new Map<string, { replyChannel: string | null; errorKey: string | null }>();
  for (const [opId, rawOp] of Object.entries(operations)) {
    const opLoc = derefLoc(store, { doc, pointer: `/operations/${escapePointer(opId)}` });
    const op = store.get(opLoc);
    if (!isObject(op) || !isObject(op['channel']) || typeof op['channel']['$ref'] !== 'string') continue;
    void rawOp;
    const channelKey = locationKey(derefLoc(store, store.resolve(op['channel']['$ref'], opLoc)));
    const reply = op['reply'];
    let replyChannel: string | null = null;
    if (isObject(reply)) {
      const replyLoc = derefLoc(store, { doc: opLoc.doc, pointer: `${opLoc.pointer}/reply` });
      const r = store.get(replyLoc);
      if (isObject(r) && isObject(r['channel']) && typeof r['channel']['$ref'] === 'string') {
        const chLoc = derefLoc(store, store.resolve(r['channel']['$ref'], replyLoc));
        const ch = store.get(chLoc);
        replyChannel =
          isObject(ch) && typeof ch['address'] === 'string'
            ? ch['address']
            : (chLoc.pointer.split('/').pop() ?? null);
      }
    }
    const errorKey = typeof op['x-bloodbank-error'] === 'string' ? op['x-bloodbank-error'] : null;
    if (replyChannel !== null || errorKey !== null) {
      const prev = replies.get(channelKey);
      replies.set(channelKey, {
        replyChannel: replyChannel ?? prev?.replyChannel ?? null,
        errorKey: errorKey ?? prev?.errorKey ?? null,
      });
    }
  }

  let envelope: Location | null = null;
  const events: EventModel[] = [];
  const seenKeys = new Map<string, string>();
  for (const channelId of Object.keys(channels).sort()) {
    const chPointer = `/channels/${escapePointer(channelId)}`;
    const chLoc = derefLoc(store, { doc, pointer: chPointer });
    const channel = store.get(chLoc);
    if (!isObject(channel)) throw new CodegenError(display, chPointer, 'channel must be a mapping');
    const key = typeof channel['address'] === 'string' ? channel['address'] : channelId;
    if (!ROUTING_KEY.test(key)) {
      throw new CodegenError(
        display,
        `${chPointer}/address`,
        `routing key ${JSON.stringify(key)} is outside the grammar ${ROUTING_KEY.source} (2 to 6 lowercase tokens; no * or #)`,
      );
    }
    const dup = seenKeys.get(key);
    if (dup)
      throw new CodegenError(display, chPointer, `routing key ${key} is also the address of channel ${dup}`);
    seenKeys.set(key, channelId);
    const messages = isObject(channel['messages']) ? Object.keys(channel['messages']).sort() : [];
    if (messages.length === 0)
      throw new CodegenError(
        display,
        channel['messages'] === undefined ? chPointer : `${chPointer}/messages`,
        `channel ${channelId} has no message`,
      );
    if (messages.length > 1) {
      throw new CodegenError(
        display,
        `${chPointer}/messages`,
        `channel ${channelId} has ${messages.length} messages; one routing key carries one message type`,
      );
    }
    const msgLoc = derefLoc(store, {
      doc: chLoc.doc,
      pointer: `${chLoc.pointer}/messages/${escapePointer(messages[0] as string)}`,
    });
    const message = store.get(msgLoc);
    if (!isObject(message)) throw new CodegenError(display, msgLoc.pointer, 'message must be a mapping');
    if (message['payload'] === undefined)
      throw new CodegenError(
        display,
        `${msgLoc.pointer}/payload`,
        `message of channel ${channelId} has no payload`,
      );
    let schemaLoc: Location = { doc: msgLoc.doc, pointer: `${msgLoc.pointer}/payload` };
    const payloadNode = store.get(derefLoc(store, schemaLoc));
    if (
      isObject(payloadNode) &&
      payloadNode['schema'] !== undefined &&
      (payloadNode['schemaFormat'] !== undefined || Object.keys(payloadNode).length <= 2)
    ) {
      const fmt = payloadNode['schemaFormat'];
      if (typeof fmt === 'string' && !/json|asyncapi/i.test(fmt)) {
        throw new CodegenError(
          display,
          `${schemaLoc.pointer}/schemaFormat`,
          `schema format ${fmt} is not supported (JSON Schema or AsyncAPI Schema only)`,
        );
      }
      schemaLoc = { ...derefLoc(store, schemaLoc), pointer: `${derefLoc(store, schemaLoc).pointer}/schema` };
    }
    const unwrapped = unwrapEnvelope(store, schemaLoc, key, display);
    if (unwrapped && !envelope) envelope = unwrapped.envelope;
    const payload = unwrapped ? unwrapped.payload : schemaLoc;
    const payloadSchema = store.get(store.deref(payload));

    const tags = Array.isArray(message['tags']) ? message['tags'] : [];
    const tagged = tags.some((t) => isObject(t) && t['name'] === 'command');
    const reply = replies.get(locationKey(chLoc));
    const kind = tagged || (reply?.replyChannel ?? null) !== null ? 'command' : 'event';
    const tokens = key.split('.');
    const domain = tokens[0] as string;
    const group = typeof channel['x-bloodbank-group'] === 'string' ? channel['x-bloodbank-group'] : domain;

    const examples: Json[] = [];
    if (isObject(payloadSchema) && Array.isArray(payloadSchema['examples']))
      examples.push(...payloadSchema['examples']);
    if (Array.isArray(message['examples'])) {
      for (const ex of message['examples']) {
        if (!isObject(ex) || ex['payload'] === undefined) continue;
        const p = ex['payload'];
        examples.push(unwrapped && isObject(p) && p['payload'] !== undefined ? p['payload'] : p);
      }
    }
    const str = (v: Json | undefined): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);
    const schemaObj = isObject(payloadSchema) ? payloadSchema : {};
    events.push({
      key,
      tokens,
      domain,
      group,
      kind,
      names: eventNames(key),
      channelId,
      title: str(message['title']) ?? str(schemaObj['title']) ?? key,
      description:
        str(schemaObj['description']) ?? str(message['description']) ?? str(message['summary']) ?? '',
      payload,
      replyKey: reply?.replyChannel ?? null,
      errorKey: reply?.errorKey ?? null,
      exchange: channelExchange(store, chLoc, display),
      examples,
    });
  }
  events.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const e of events) {
    for (const [what, target] of [
      ['reply', e.replyKey],
      ['x-bloodbank-error', e.errorKey],
    ] as const) {
      if (target !== null && !seenKeys.has(target)) {
        throw new CodegenError(
          display,
          `/channels/${escapePointer(e.channelId)}`,
          `${what} of ${e.key} names ${target}, which is no channel of this document`,
        );
      }
    }
  }
  const info = isObject(root['info']) ? root['info'] : {};
  return {
    input: display,
    title: typeof info['title'] === 'string' ? info['title'] : 'AsyncAPI',
    version: typeof info['version'] === 'string' ? info['version'] : '0.0.0',
    events,
    envelope,
    store,
    validation,
  };
}

function derefLoc(store: SchemaStore, loc: Location): Location {
  const node = store.get(loc);
  if (isObject(node) && typeof node['$ref'] === 'string' && Object.keys(node).length === 1) {
    return derefLoc(store, store.resolve(node['$ref'], loc));
  }
  return loc;
}

/**
 * The Bloodbank shape: `allOf: [ {$ref: envelope.json (x-bloodbank-envelope)}, {properties: {event_type: {const}, payload}} ]`.
 * Returns null for a foreign document (the whole message payload is then the payload).
 */
function unwrapEnvelope(
  store: SchemaStore,
  schemaLoc: Location,
  key: string,
  display: string,
): { envelope: Location; payload: Location } | null {
  const loc = derefLoc(store, schemaLoc);
  const node = store.get(loc);
  if (!isObject(node) || !Array.isArray(node['allOf'])) return null;
  let envelope: Location | null = null;
  let payload: Location | null = null;
  node['allOf'].forEach((_branch, i) => {
    const bLoc = derefLoc(store, { doc: loc.doc, pointer: `${loc.pointer}/allOf/${i}` });
    const b = store.get(bLoc);
    if (!isObject(b)) return;
    if (b['x-bloodbank-envelope'] === true) envelope = bLoc;
    else if (isObject(b['properties'])) {
      const props = b['properties'];
      const et = props['event_type'];
      if (isObject(et) && et['const'] !== undefined && et['const'] !== key) {
        throw new CodegenError(
          display,
          `${bLoc.pointer}/properties/event_type/const`,
          `event_type const ${JSON.stringify(et['const'])} differs from the channel address ${key}`,
        );
      }
      if (props['payload'] !== undefined)
        payload = { doc: bLoc.doc, pointer: `${bLoc.pointer}/properties/payload` };
    }
  });
  if (!envelope) return null;
  if (!payload)
    throw new CodegenError(
      display,
      loc.pointer,
      `message of ${key} uses the envelope but does not say what its payload is (properties.payload)`,
    );
  return { envelope, payload };
}

const EXCHANGE_TYPES = ['topic', 'direct', 'fanout', 'headers'] as const;

/**
 * The exchange a channel's AMQP binding names (`bindings.amqp.exchange`, binding 0.3.0), or null when it
 * names none (no binding, `is: queue`, or no exchange name): the runtime then uses its default exchange.
 * `type` defaults to `topic` and `durable` to true, as RabbitMQ declares them.
 */
function channelExchange(store: SchemaStore, chLoc: Location, display: string): ExchangeBinding | null {
  const bindingsLoc = derefLoc(store, { doc: chLoc.doc, pointer: `${chLoc.pointer}/bindings` });
  if (!isObject(store.get(bindingsLoc))) return null;
  const amqpLoc = derefLoc(store, { doc: bindingsLoc.doc, pointer: `${bindingsLoc.pointer}/amqp` });
  const amqp = store.get(amqpLoc);
  if (!isObject(amqp) || amqp['is'] === 'queue' || !isObject(amqp['exchange'])) return null;
  const exchange = amqp['exchange'];
  const at = `${amqpLoc.pointer}/exchange`;
  if (exchange['name'] === undefined) return null;
  if (typeof exchange['name'] !== 'string' || exchange['name'] === '')
    throw new CodegenError(display, `${at}/name`, 'exchange name must be a non-empty string');
  const type = exchange['type'] ?? 'topic';
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

/** The document as the parser sees it: one JSON text, every file's schema moved under `components.schemas`. */
export interface ParserInput {
  readonly text: string;
  /** `components.schemas` name → the file it came from (display path), to map diagnostics back. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * Bundle the document and the schema files it references into one JSON document whose `$ref`s are all
 * internal. The parser's resolver copies the whole document per external file it follows (quadratic);
 * internal refs are much cheaper, and the document it validates is the same.
 */
export function bundleForParser(store: SchemaStore, main: SchemaDoc): ParserInput {
  const names = new Map<SchemaDoc, string>();
  const files: Record<string, string> = {};
  const pending: SchemaDoc[] = [];
  const nameOf = (d: SchemaDoc): string => {
    let n = names.get(d);
    if (!n) {
      n = `bloodbank_file_${names.size}`;
      names.set(d, n);
      files[n] = store.display(d.file);
      pending.push(d);
    }
    return n;
  };
  const rewrite = (node: Json, d: SchemaDoc, pointer: string): Json => {
    if (Array.isArray(node)) return node.map((n, i) => rewrite(n, d, `${pointer}/${i}`));
    if (!isObject(node)) return node;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') {
        const t = store.resolve(v, { doc: d, pointer });
        const at = pointerFragment(t.pointer);
        out[k] = t.doc === main ? `#${at}` : `#/components/schemas/${nameOf(t.doc)}${at}`;
      } else if (k === 'examples' || k === 'example' || k === 'default' || k === 'const' || k === 'enum')
        out[k] = v;
      else out[k] = rewrite(v, d, `${pointer}/${escapePointer(k)}`);
    }
    return out;
  };
  const root = rewrite(main.json, main, '') as JsonObject;
  const components: JsonObject = isObject(root['components']) ? { ...root['components'] } : {};
  const schemas: JsonObject = isObject(components['schemas']) ? { ...components['schemas'] } : {};
  for (let d = pending.shift(); d; d = pending.shift()) {
    const body = rewrite(d.json, d, '');
    if (isObject(body)) {
      delete body['$id'];
      delete body['$schema'];
    }
    // A boolean schema file as an object schema (the AsyncAPI schema wants objects there).
    schemas[names.get(d) as string] = body === true ? {} : body === false ? { not: {} } : body;
  }
  components['schemas'] = schemas;
  root['components'] = components;
  return { text: JSON.stringify(root), files };
}

interface DocumentParser {
  /** Validate the bundled document (once); resolves when the parser accepts it. */
  validate(input: ParserInput, display: string): Promise<void>;
  /** Stop the parser's worker, if any, without validating. */
  terminate(): void;
}

/**
 * Where @asyncapi/parser runs. Compiled (dist/, the `bloodbank-codegen` bin, `npm run codegen`), in a worker
 * thread running codegen/parser-worker.js: the parse takes most of codegen's time, and in the worker it
 * overlaps the main thread's model building and emitting. From the TypeScript sources (tsx, vitest), in
 * this thread: on Node 20 a worker cannot start from a .ts file (tsx's loader does not reach a worker's
 * entry module: `execArgv: ['--import', 'tsx']` fails with ERR_UNKNOWN_FILE_EXTENSION), and the worker
 * buys speed only; the verdict is the same either way (test/codegen/parser-worker.test.ts).
 */
export type ParserMode = 'worker' | 'in-process';

const defaultParserMode = (): ParserMode => (import.meta.url.endsWith('.ts') ? 'in-process' : 'worker');

/** Start the parser (see ParserMode); the worker is spawned at once and loads the parser meanwhile. */
export function startParser(mode: ParserMode = defaultParserMode()): DocumentParser {
  if (mode === 'in-process') {
    return {
      async validate(input, display) {
        const { validateDocument } = await import('./validate-document.js');
        const errors = await validateDocument(input.text).catch((error: unknown) => [
          { message: error instanceof Error ? error.message : String(error), severity: 0, path: [] },
        ]);
        if (errors.length > 0) throw diagnosticError(errors, input, display);
      },
      terminate() {},
    };
  }
  const worker = new Worker(new URL('./parser-worker.js', import.meta.url));
  const result = new Promise<ParserReply>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the parser's worker exited with code ${code}`)));
  });
  result.catch(() => undefined);
  return {
    validate(input, display) {
      worker.postMessage(input.text);
      return result.then(
        (reply) => {
          void worker.terminate();
          const errors = reply.ok ? reply.errors : [{ message: reply.message, severity: 0, path: [] }];
          if (errors.length > 0) throw diagnosticError(errors, input, display);
        },
        (cause: Error) => {
          void worker.terminate();
          throw new CodegenError(display, '', `AsyncAPI parser failed: ${cause.message}`, { cause });
        },
      );
    },
    terminate() {
      void worker.terminate();
    },
  };
}

/** Validate a bundled document with @asyncapi/parser (in a worker thread when running compiled). */
export function startValidation(
  input: ParserInput,
  display: string,
  mode: ParserMode = defaultParserMode(),
): Promise<void> {
  return startParser(mode).validate(input, display);
}

/** The first diagnostic as a CodegenError; one inside a bundled schema file points back at that file. */
function diagnosticError(
  errors: readonly ParserDiagnostic[],
  input: ParserInput,
  display: string,
): CodegenError {
  const where = (d: ParserDiagnostic | undefined): { file: string; pointer: string } => {
    const path = d?.path ?? [];
    const file = path[0] === 'components' && path[1] === 'schemas' ? input.files[String(path[2])] : undefined;
    const rest = file ? path.slice(3) : path;
    return {
      file: file ?? display,
      pointer: rest.length > 0 ? '/' + rest.map((p) => escapePointer(String(p))).join('/') : '',
    };
  };
  const first = where(errors[0]);
  const more =
    errors.length > 1
      ? ` (and ${errors.length - 1} more: ${errors
          .slice(1, 4)
          .map((e) => {
            const w = where(e);
            return `${w.file}#${w.pointer}: ${e.message}`;
          })
          .join('; ')})`
      : '';
  return new CodegenError(
    first.file,
    first.pointer,
    `invalid AsyncAPI document: ${errors[0]?.message ?? 'unparsable'}${more}`,
  );
}
