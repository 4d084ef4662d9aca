/**
 * The contract of an AsyncAPI 3 document: every message of every channel with its payload bundled into one
 * self-contained JSON Schema (`$ref`s rewritten into `definitions`), its kind (event, command, reply) and
 * its compatibility policy. Works on any AsyncAPI 3.0 document with JSON Schema payloads, with or without
 * the Bloodbank envelope; schemas are read through codegen's SchemaStore (files, `$id`s).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import jsyaml from 'js-yaml';
import { CodegenError } from '../../runtime/errors/codegen-error.js';
import { escapePointer, isObject, locationKey, SchemaStore } from '../schema-store.js';
import type { Json, JsonObject, Location, SchemaDoc } from '../schema-store.js';
import { COMPATIBILITY_MODES } from './rules.js';
import type { Compatibility } from './rules.js';
import { sortKeys } from './schema-diff.js';

export type MessageKind = 'event' | 'command' | 'reply';

export interface ContractMessage {
  /** `<channel id>/<message id>`: the identity of a message across versions of the document. */
  readonly id: string;
  readonly channel: string;
  readonly message: string;
  /** The channel address (the routing key), or null. */
  readonly address: string | null;
  readonly kind: MessageKind;
  /** `x-bloodbank-compatibility` of the channel, when set. */
  readonly compatibility: Compatibility | null;
  readonly deprecated: boolean;
  /** The payload schema, self-contained, keys sorted. */
  readonly schema: JsonObject;
}

export interface Contract {
  /** Sorted by id. */
  readonly messages: readonly ContractMessage[];
}

export const COMPATIBILITY_EXTENSION = 'x-bloodbank-compatibility';

/**
 * Contract snapshots are read from AsyncAPI 3 documents only: codegen reads a 2.x document (through the
 * parser's model) but keeps no snapshot of it (the gate lets it through, `diff` refuses it).
 */
export class ContractVersionError extends CodegenError {
  constructor(display: string) {
    super(
      display,
      '/asyncapi',
      'contract snapshots and diffs read AsyncAPI 3.x documents only (this one is 2.x)',
    );
  }
}

/** Read the contract of the document at `inputPath` (and the schema files beside it). */
export function readContract(inputPath: string): Contract {
  const input = resolvePath(inputPath);
  const store = new SchemaStore(dirname(input));
  const doc = loadDocument(store, input);
  const display = store.display(input);
  const root = doc.json;
  if (!isObject(root)) throw new CodegenError(display, '', 'not an AsyncAPI document (expected a mapping)');
  const version = root['asyncapi'];
  if (typeof version === 'string' && version.startsWith('2.')) throw new ContractVersionError(display);
  if (typeof version !== 'string' || !version.startsWith('3.')) {
    throw new CodegenError(
      display,
      '/asyncapi',
      `expected an AsyncAPI 3.x document, got ${JSON.stringify(version ?? null)}`,
    );
  }
  store.preload(join(dirname(input), 'schemas'));
  const deref = (loc: Location): Location => {
    const node = store.get(loc);
    if (isObject(node) && typeof node['$ref'] === 'string') return deref(store.resolve(node['$ref'], loc));
    return loc;
  };

  // Operations with a reply: their channel carries commands, the reply channel replies.
  const commandChannels = new Set<string>();
  const replyChannels = new Set<string>();
  const operations = isObject(root['operations']) ? root['operations'] : {};
  for (const opId of Object.keys(operations)) {
    const opLoc = deref({ doc, pointer: `/operations/${escapePointer(opId)}` });
    const op = store.get(opLoc);
    if (!isObject(op) || !isObject(op['reply'])) continue;
    const replyLoc = deref({ doc: opLoc.doc, pointer: `${opLoc.pointer}/reply` });
    const reply = store.get(replyLoc);
    if (isObject(op['channel']) && typeof op['channel']['$ref'] === 'string') {
      commandChannels.add(locationKey(deref(store.resolve(op['channel']['$ref'], opLoc))));
    }
    if (isObject(reply) && isObject(reply['channel']) && typeof reply['channel']['$ref'] === 'string') {
      replyChannels.add(locationKey(deref(store.resolve(reply['channel']['$ref'], replyLoc))));
    }
  }

  const messages: ContractMessage[] = [];
  const channels = isObject(root['channels']) ? root['channels'] : {};
  for (const channelId of Object.keys(channels)) {
    const chLoc = deref({ doc, pointer: `/channels/${escapePointer(channelId)}` });
    const channel = store.get(chLoc);
    if (!isObject(channel)) throw new CodegenError(display, chLoc.pointer, 'channel must be a mapping');
    const compatibility = channel[COMPATIBILITY_EXTENSION] ?? null;
    if (compatibility !== null && !COMPATIBILITY_MODES.includes(compatibility as Compatibility)) {
      throw new CodegenError(
        store.display(chLoc.doc.file),
        `${chLoc.pointer}/${COMPATIBILITY_EXTENSION}`,
        `expected one of ${COMPATIBILITY_MODES.join(', ')}, got ${JSON.stringify(compatibility)}`,
      );
    }
    const msgs = isObject(channel['messages']) ? channel['messages'] : {};
    for (const messageId of Object.keys(msgs)) {
      const msgLoc = deref({
        doc: chLoc.doc,
        pointer: `${chLoc.pointer}/messages/${escapePointer(messageId)}`,
      });
      const message = store.get(msgLoc);
      if (!isObject(message))
        throw new CodegenError(store.display(msgLoc.doc.file), msgLoc.pointer, 'message must be a mapping');
      const tags = Array.isArray(message['tags']) ? message['tags'] : [];
      const tagged = tags.some((t) => isObject(t) && t['name'] === 'command');
      const key = locationKey(chLoc);
      const kind: MessageKind = replyChannels.has(key)
        ? 'reply'
        : tagged || commandChannels.has(key)
          ? 'command'
          : 'event';
      messages.push({
        id: `${channelId}/${messageId}`,
        channel: channelId,
        message: messageId,
        address:
          typeof channel['address'] === 'string'
            ? channel['address']
            : channel['address'] === null
              ? null
              : channelId,
        kind,
        compatibility: compatibility as Compatibility | null,
        deprecated: message['deprecated'] === true || channel['deprecated'] === true,
        schema: payloadSchema(store, { doc: msgLoc.doc, pointer: `${msgLoc.pointer}/payload` }),
      });
    }
  }
  messages.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { messages };
}

/**
 * The AsyncAPI document itself, parsed with js-yaml (about ten times faster than the `yaml` package on a
 * 1,000-channel document); schema files still load through the store.
 */
function loadDocument(store: SchemaStore, input: string): SchemaDoc {
  if (!/\.ya?ml$/i.test(input)) return store.load(input);
  let text: string;
  try {
    text = readFileSync(input, 'utf8');
  } catch (cause) {
    throw new CodegenError(store.display(input), '', 'cannot read file', { cause });
  }
  let json: Json;
  try {
    json = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA }) as Json;
  } catch (cause) {
    throw new CodegenError(store.display(input), '', `invalid YAML: ${(cause as Error).message}`, { cause });
  }
  return store.addDocument(input, json);
}

/** The message payload as one self-contained schema (a multi-format `{schemaFormat, schema}` unwrapped). */
function payloadSchema(store: SchemaStore, loc: Location): JsonObject {
  const node = store.get(loc);
  if (node === undefined) return {};
  let at = loc;
  if (
    isObject(node) &&
    node['schema'] !== undefined &&
    (node['schemaFormat'] !== undefined || Object.keys(node).length <= 2)
  ) {
    const fmt = node['schemaFormat'];
    // Another format (Avro): the snapshot keeps the schema as written, so any change to it is seen.
    if (typeof fmt === 'string' && !/json|yaml|asyncapi/i.test(fmt))
      return sortKeys({ 'x-schema-format': fmt, 'x-schema': node['schema'] as Json }) as JsonObject;
    at = { doc: loc.doc, pointer: `${loc.pointer}/schema` };
  }
  return bundle(store, at);
}

const DATA_KEYWORDS = new Set(['examples', 'example', 'default', 'const', 'enum']);

/**
 * One schema with every `$ref` it reaches copied under `definitions`, named by file and pointer
 * (`schemas/_common/source.json`, `asyncapi.yaml/components/schemas/X`), keys sorted: byte-stable.
 */
export function bundle(store: SchemaStore, root: Location): JsonObject {
  const definitions: JsonObject = {};
  const rootKey = locationKey(root);
  const nameOf = (loc: Location): string => `${store.display(loc.doc.file)}${loc.pointer}`;
  const copy = (node: Json, loc: Location): Json => {
    if (Array.isArray(node))
      return node.map((n, i) => copy(n, { doc: loc.doc, pointer: `${loc.pointer}/${i}` }));
    if (!isObject(node)) return node;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') {
        const target = store.resolve(v, loc);
        if (locationKey(target) === rootKey) {
          out[k] = '#';
          continue;
        }
        const name = nameOf(target);
        if (!(name in definitions)) {
          definitions[name] = {};
          definitions[name] = copy(store.get(target) as Json, target);
        }
        out[k] = `#/definitions/${escapePointer(name)}`;
      } else if (DATA_KEYWORDS.has(k)) out[k] = v;
      else if (k === '$id' || k === '$schema' || k === 'definitions' || k === '$defs') continue;
      else out[k] = copy(v, { doc: loc.doc, pointer: `${loc.pointer}/${escapePointer(k)}` });
    }
    return out;
  };
  const body = copy(store.get(root) as Json, root);
  const schema: JsonObject = isObject(body) ? body : body === false ? { not: {} } : {};
  if (Object.keys(definitions).length > 0) schema['definitions'] = definitions;
  return sortKeys(schema) as JsonObject;
}
