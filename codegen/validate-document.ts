/**
 * The AsyncAPI document read by @asyncapi/parser, through its public API only: the parser's core ruleset
 * (the recommended style rules are left out: they are advice, not validity), the official schema parsers
 * registered (AsyncAPI Schema and JSON Schema drafts 04–07 in JSON or YAML come with the parser; Avro from
 * @asyncapi/avro-schema-parser). Runs in the parser's worker thread (parser-worker.ts) or, when codegen runs
 * from its TypeScript sources, in the calling thread (load.ts says why).
 *
 * What codegen needs of the document's STRUCTURE is read from the parser's model here (channels,
 * addresses, parameters, bindings, messages, headers, correlation ids, operations with their intent and
 * replies, 2.x and 3.x alike) and returned as plain data (it crosses a thread boundary), each part with its
 * JSON pointer into the document. The schemas themselves are not copied: load.ts finds them by pointer
 * in its own schema store, which keeps the `$ref` identity the model resolves away (see load.ts).
 */
import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';
import { type AsyncAPIDocumentInterface, Parser } from '@asyncapi/parser';
import { isJsonSchemaFormat } from './schema-formats.js';

/** One diagnostic of the parser, as plain data (it crosses a thread boundary). */
export interface ParserDiagnostic {
  readonly message: string;
  readonly severity: number;
  readonly path: ReadonlyArray<string | number>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One `{param}` of a channel address, as the document describes it. */
export interface ParsedParameter {
  readonly name: string;
  readonly enum?: string[];
  readonly default?: string;
  readonly description?: string;
  readonly examples?: string[];
  readonly location?: string;
}

export interface ParsedMessage {
  /** Its key in the channel's `messages` (3.x); 2.x: `messageId`, else its name, else `message` (+ index). */
  readonly id: string;
  /** JSON pointer of the message in the document, as the model reaches it (through `$ref`s). */
  readonly pointer: string;
  /** The message's `name`, or the component key the parser records (`x-parser-message-name`). */
  readonly name: string | null;
  readonly title: string | null;
  readonly summary: string | null;
  readonly description: string | null;
  /** The payload's schema format as written (before a schema parser converted it). */
  readonly schemaFormat: string | null;
  readonly hasPayload: boolean;
  /**
   * The payload as JSON Schema, when a schema parser converted it from another format (Avro): there is no
   * JSON Schema in the document to point at. Null for JSON Schema and AsyncAPI Schema payloads.
   */
  readonly converted: Json | null;
  readonly hasHeaders: boolean;
  readonly correlationId: string | null;
  /** Message bindings by protocol (`amqp`: `messageType`, …). */
  readonly bindings: Record<string, Json>;
  readonly tags: string[];
  readonly examples: Array<{ payload?: Json; headers?: Json }>;
}

export interface ParsedChannel {
  /** 3.x: the channel id; 2.x: the channel's name (its address). */
  readonly id: string;
  readonly pointer: string;
  /** As written, with `{param}` placeholders; null when the document says `address: null`. */
  readonly address: string | null;
  readonly parameters: ParsedParameter[];
  readonly bindings: Record<string, Json>;
  /** Protocols of the servers the channel is available on. */
  readonly protocols: string[];
  readonly messages: ParsedMessage[];
  /** `x-bloodbank-group` (our catalogue's listing group). */
  readonly group: string | null;
}

export interface ParsedOperation {
  readonly id: string;
  readonly pointer: string;
  /** From the parser's intent API (`isSend()`): 2.x `subscribe` is `send`, 2.x `publish` is `receive`. */
  readonly action: 'send' | 'receive';
  readonly channelId: string | null;
  /** Ids of the channel's messages this operation carries. */
  readonly messageIds: string[];
  readonly bindings: Record<string, Json>;
  readonly reply: {
    readonly channelId: string | null;
    readonly address: string | null;
    readonly messageIds: string[];
  } | null;
  /** `x-bloodbank-error`: the failure event of a command (our catalogue). */
  readonly errorKey: string | null;
}

export interface ParsedDocument {
  /** `asyncapi` version (`3.0.0`, `2.6.0`). */
  readonly asyncapi: string;
  readonly title: string;
  readonly version: string;
  readonly channels: ParsedChannel[];
  readonly operations: ParsedOperation[];
}

export interface ParseResult {
  readonly errors: ParserDiagnostic[];
  readonly document: ParsedDocument | null;
}

let parser: Parser | null = null;

/** The parser of this thread, built on first use (building it loads its rulesets: about 0.3 s). */
export function documentParser(): Parser {
  if (!parser) {
    parser = new Parser({ ruleset: { core: true, recommended: false } });
    parser.registerSchemaParser(AvroSchemaParser());
  }
  return parser;
}

/** The errors (severity 0) the parser finds in the document `text`; none when it is valid. */
export async function validateDocument(text: string): Promise<ParserDiagnostic[]> {
  return (await parseDocument(text)).errors;
}

/** Parse `text`; with no errors, the document's structure read from the parser's model. */
export async function parseDocument(text: string): Promise<ParseResult> {
  const { document, diagnostics } = await documentParser().parse(text);
  const errors = diagnostics
    .filter((d) => d.severity === 0)
    .map((d) => ({ message: d.message, severity: d.severity, path: [...d.path] }));
  if (errors.length > 0 || !document) {
    if (errors.length === 0)
      errors.push({ message: 'the parser returned no document', severity: 0, path: [] });
    return { errors, document: null };
  }
  return { errors, document: extract(document) };
}

const esc = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
/** Plain JSON (the model's objects carry no functions; a structured clone takes them as they are). */
const plain = (v: unknown): Json => (v === undefined ? null : (v as Json));

interface BindingsLike {
  all(): Array<{ protocol(): string; json(): unknown }>;
}
function bindingsOf(b: BindingsLike): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const binding of b.all()) out[binding.protocol()] = plain(binding.json());
  return out;
}

function extract(document: AsyncAPIDocumentInterface): ParsedDocument {
  const asyncapi = document.version();
  const v2 = asyncapi.startsWith('2.');
  const channels: ParsedChannel[] = [];
  const operations: ParsedOperation[] = [];
  for (const channel of document.channels()) {
    const id = channel.id();
    const pointer = `/channels/${esc(id)}`;
    const cjson = channel.json() as Record<string, unknown>;
    const messages: ParsedMessage[] = [];
    const byObject = new Map<unknown, string>();
    const all = channel.messages().all();
    all.forEach((message, index) => {
      const json = message.json() as Record<string, unknown>;
      if (byObject.has(json)) return; // 2.x: the same message in both operations of a channel
      const named = str(json['x-parser-message-name']);
      const name = str(json['name']) ?? (named && !named.startsWith('<') ? named : null);
      const msgId = v2
        ? (str(json['messageId']) ?? name ?? (all.length > 1 ? `message${index + 1}` : 'message'))
        : message.id();
      byObject.set(json, msgId);
      const originalFormat = str(json['x-parser-original-schema-format']);
      // As written: 3.x on the Multi Format Schema Object, 2.x on the message (the model answers the
      // default format for one no schema parser is registered for).
      const rawPayload = json['payload'] as Record<string, unknown> | undefined;
      const written = v2
        ? str(json['schemaFormat'])
        : rawPayload && typeof rawPayload === 'object' && rawPayload['schema'] !== undefined
          ? str(rawPayload['schemaFormat'])
          : null;
      const format =
        originalFormat ?? written ?? (message.hasPayload() ? (message.schemaFormat() ?? null) : null);
      let converted: Json | null = null;
      if (message.hasPayload() && !isJsonSchemaFormat(format)) {
        const p = message.payload()?.json() as Record<string, unknown> | undefined;
        // 3.x keeps the Multi Format Schema Object ({schemaFormat, schema}) with the schema converted.
        converted = plain(
          p && !v2 && p['schema'] !== undefined && p['schemaFormat'] !== undefined ? p['schema'] : p,
        );
      }
      messages.push({
        id: msgId,
        pointer: v2 ? message.meta().pointer : `${pointer}/messages/${esc(msgId)}`,
        name,
        title: str(json['title']),
        summary: str(json['summary']),
        description: str(json['description']),
        schemaFormat: format,
        hasPayload: message.hasPayload(),
        converted,
        hasHeaders: message.hasHeaders(),
        correlationId: message.correlationId()?.location() ?? null,
        bindings: bindingsOf(message.bindings()),
        tags: message
          .tags()
          .all()
          .map((t) => t.name()),
        examples: message
          .examples()
          .all()
          .map((e) => ({
            ...(e.hasPayload() ? { payload: plain(e.payload()) } : {}),
            ...(e.hasHeaders() ? { headers: plain(e.headers()) } : {}),
          })),
      });
    });
    const parameters: ParsedParameter[] = channel
      .parameters()
      .all()
      .map((p) => {
        const pj = p.json() as Record<string, unknown>;
        // 2.x: a Parameter Object holds a schema; 3.x: enum/default/examples on the parameter itself.
        const s = (
          v2 && typeof pj['schema'] === 'object' && pj['schema'] !== null ? pj['schema'] : pj
        ) as Record<string, unknown>;
        const strings = (v: unknown) =>
          Array.isArray(v) ? v.filter((x) => x !== null && x !== undefined).map((x) => String(x)) : undefined;
        const enumValues = strings(s['enum']);
        const examples = strings(s['examples']);
        const description = str(pj['description']) ?? str(s['description']);
        const location = str(pj['location']);
        return {
          name: p.id(),
          ...(enumValues ? { enum: enumValues } : {}),
          ...(s['default'] !== undefined && s['default'] !== null ? { default: String(s['default']) } : {}),
          ...(description ? { description } : {}),
          ...(examples ? { examples } : {}),
          ...(location ? { location } : {}),
        };
      });
    channels.push({
      id,
      pointer,
      address: v2 ? id : (channel.address() ?? null),
      parameters,
      bindings: bindingsOf(channel.bindings()),
      protocols: [
        ...new Set(
          channel
            .servers()
            .all()
            .map((s) => s.protocol()),
        ),
      ],
      messages,
      group: str(cjson['x-bloodbank-group']),
    });
    if (v2) {
      for (const op of channel.operations()) {
        const oj = op.json() as Record<string, unknown>;
        operations.push({
          id: op.id() ?? '',
          pointer: op.meta().pointer,
          action: op.isSend() ? 'send' : 'receive',
          channelId: id,
          messageIds: op
            .messages()
            .all()
            .map((m) => byObject.get(m.json()))
            .filter((m): m is string => m !== undefined),
          bindings: bindingsOf(op.bindings()),
          reply: null,
          errorKey: str(oj['x-bloodbank-error']),
        });
      }
    }
  }
  if (!v2) {
    for (const op of document.operations()) {
      const oj = op.json() as Record<string, unknown>;
      const opId = op.id() ?? '';
      const channel = op.channels().all()[0];
      const channelMessages = new Map<unknown, string>();
      if (channel) for (const m of channel.messages()) channelMessages.set(m.json(), m.id());
      const reply = op.reply();
      const replyChannel = reply?.channel();
      const replyMessages = new Map<unknown, string>();
      if (replyChannel) for (const m of replyChannel.messages()) replyMessages.set(m.json(), m.id());
      operations.push({
        id: opId,
        pointer: `/operations/${esc(opId)}`,
        action: op.isSend() ? 'send' : 'receive',
        channelId: channel?.id() ?? null,
        messageIds: [
          ...new Set(
            op
              .messages()
              .all()
              .map((m) => channelMessages.get(m.json()))
              .filter((m): m is string => m !== undefined),
          ),
        ],
        bindings: bindingsOf(op.bindings()),
        reply: reply
          ? {
              channelId: replyChannel?.id() ?? null,
              address: reply.address()?.location() ?? null,
              messageIds: [
                ...new Set(
                  reply
                    .messages()
                    .all()
                    .map((m) => replyMessages.get(m.json()))
                    .filter((m): m is string => m !== undefined),
                ),
              ],
            }
          : null,
        errorKey: str(oj['x-bloodbank-error']),
      });
    }
  }
  const info = document.info();
  return { asyncapi, title: info.title(), version: info.version(), channels, operations };
}
