/**
 * Synthetic catalogues for the codegen benchmark: an AsyncAPI 3.0 document written exactly like ours
 * (DESIGN.md §4: one channel per routing key, the envelope marked `x-bloodbank-envelope`, payloads by
 * `$ref`, commands tagged with a `reply`) plus one realistic JSON Schema per event (8–15 fields: bounded
 * strings, integers with minimum, a nullable field defaulting to null, an enum, a date-time, an array of
 * objects and a `$ref` to a titled definition shared per domain), each with one valid example.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BASE = 'https://bench.bloodbank.test/schemas';
const DOMAINS = 20;
const EXCHANGE = 'bloodbank.events.v1';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface SyntheticCatalogue {
  /** Absolute path of the AsyncAPI document. */
  readonly input: string;
  readonly events: number;
  readonly commands: number;
  /** Payload schema files (absolute paths), one per event. */
  readonly payloadSchemas: readonly string[];
}

export function syntheticKey(i: number): string {
  return `dom${i % DOMAINS}.entity${i}.happened`;
}

function isCommand(i: number, n: number): boolean {
  return n > 1 && i % 10 === 0;
}

function messageName(i: number): string {
  return `Dom${i % DOMAINS}Entity${i}Happened`;
}

function writeJson(path: string, json: Json): void {
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
}

const envelope: Json = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: `${BASE}/_common/envelope.json`,
  title: 'EventEnvelope',
  description: 'The envelope every message travels in; the payload is bound per channel.',
  'x-bloodbank-envelope': true,
  type: 'object',
  properties: {
    event_id: { type: 'string', format: 'uuid' },
    event_type: {
      type: 'string',
      pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*){1,5}$',
      maxLength: 255,
    },
    timestamp: { type: 'string', format: 'date-time' },
    version: { type: 'string', default: '1.0.0', maxLength: 32 },
    correlation_ids: {
      type: 'array',
      items: { type: 'string', format: 'uuid' },
      maxItems: 64,
      default: [],
    },
    payload: { type: 'object' },
  },
  required: ['event_type', 'payload'],
  additionalProperties: false,
};

function defs(d: number): Json {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `${BASE}/dom${d}/_defs.json`,
    description: `Definitions shared by the events of domain dom${d}.`,
    // Keys unique across domains: each definition becomes a named type under its key.
    definitions: {
      [`Dom${d}Amount`]: {
        title: `Dom${d}Amount`,
        description: 'A money amount in minor units.',
        type: 'object',
        properties: {
          value: { type: 'integer', minimum: 0, description: 'Minor units, >= 0.' },
          currency: { $ref: `#/definitions/Dom${d}Currency` },
        },
        required: ['value'],
        additionalProperties: false,
      },
      [`Dom${d}Currency`]: {
        title: `Dom${d}Currency`,
        type: 'string',
        enum: ['EUR', 'USD', 'GBP'],
        default: 'EUR',
      },
    },
  };
}

/** Optional extra fields beyond the eight every payload has: (schema, example value). */
const EXTRAS: ReadonlyArray<readonly [string, Json, Json]> = [
  ['label', { type: 'string', maxLength: 120, description: 'Short label, at most 120 characters.' }, 'north'],
  ['priority', { type: 'integer', minimum: 0, maximum: 9, default: 4 }, 7],
  ['enabled', { type: 'boolean', default: true }, false],
  ['ratio', { type: 'number', minimum: 0, maximum: 1 }, 0.25],
  ['tags', { type: 'array', items: { type: 'string', maxLength: 40 }, maxItems: 20 }, ['a', 'b']],
  ['parent_id', { type: ['string', 'null'], maxLength: 64, default: null }, 'p-1'],
  ['duration_ms', { type: 'integer', minimum: 0, description: 'Duration, >= 0 ms.' }, 1250],
];

function payloadSchema(i: number, n: number): { schema: Json; key: string } {
  const d = i % DOMAINS;
  const key = syntheticKey(i);
  const extras = EXTRAS.slice(0, i % (EXTRAS.length + 1)); // 8..15 fields in all
  const properties: Record<string, Json> = {
    id: { type: 'string', maxLength: 64, description: 'Entity id, at most 64 characters.' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    count: { type: 'integer', minimum: 0 },
    note: { type: ['string', 'null'], maxLength: 1000, default: null },
    status: { type: 'string', enum: ['pending', 'active', 'done', 'failed'] },
    occurred_at: { type: 'string', format: 'date-time' },
    items: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        properties: {
          sku: { type: 'string', maxLength: 32 },
          qty: { type: 'integer', minimum: 1 },
        },
        required: ['sku', 'qty'],
        additionalProperties: false,
      },
    },
    amount: { $ref: `_defs.json#/definitions/Dom${d}Amount` },
  };
  const example: Record<string, Json> = {
    id: `e${i}-0001`,
    name: `Entity ${i}`,
    count: i,
    note: null,
    status: (['pending', 'active', 'done', 'failed'] as const)[i % 4] ?? 'pending',
    occurred_at: '2026-11-26T16:15:23.030243+00:00',
    items: [{ sku: `sku-${i}`, qty: 2 }],
    amount: { value: 1200 + i, currency: 'EUR' },
  };
  for (const [name, schema, value] of extras) {
    properties[name] = schema;
    example[name] = value;
  }
  const command = isCommand(i, n);
  return {
    key,
    schema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: `${BASE}/dom${d}/entity${i}.happened.json`,
      title: `Entity${i}Happened`,
      description: command
        ? `Command: asks for entity ${i} to happen; answered by ${syntheticKey((i + 1) % n)}.`
        : `Fact: entity ${i} of domain dom${d} happened.`,
      type: 'object',
      properties,
      required: ['id', 'name', 'count', 'status', 'occurred_at', 'items', 'amount'],
      additionalProperties: false,
      examples: [example],
    },
  };
}

const q = (s: string): string => JSON.stringify(s);

/** Write `asyncapi.yaml` and `schemas/` for `n` events into `dir`; returns what was written. */
export function writeSyntheticCatalogue(dir: string, n: number): SyntheticCatalogue {
  if (!Number.isInteger(n) || n < 1) throw new Error(`writeSyntheticCatalogue: n must be >= 1, got ${n}`);
  mkdirSync(join(dir, 'schemas', '_common'), { recursive: true });
  writeJson(join(dir, 'schemas', '_common', 'envelope.json'), envelope);
  for (let d = 0; d < Math.min(DOMAINS, n); d++) {
    mkdirSync(join(dir, 'schemas', `dom${d}`), { recursive: true });
    writeJson(join(dir, 'schemas', `dom${d}`, '_defs.json'), defs(d));
  }

  const channels: string[] = [];
  const operations: string[] = [];
  const messages: string[] = [];
  const payloadSchemas: string[] = [];
  let commands = 0;
  for (let i = 0; i < n; i++) {
    const { key, schema } = payloadSchema(i, n);
    const rel = `schemas/dom${i % DOMAINS}/entity${i}.happened.json`;
    const file = join(dir, rel);
    writeJson(file, schema);
    payloadSchemas.push(file);
    const msg = messageName(i);
    const command = isCommand(i, n);
    if (command) commands++;
    channels.push(
      [
        `  ${key}:`,
        `    address: ${key}`,
        `    title: ${q(`Entity ${i} happened`)}`,
        `    messages:`,
        `      ${msg}:`,
        `        $ref: "#/components/messages/${msg}"`,
        `    bindings:`,
        `      amqp:`,
        `        is: routingKey`,
        `        exchange:`,
        `          name: ${EXCHANGE}`,
        `          type: topic`,
        `          durable: true`,
        `          autoDelete: false`,
        `          vhost: /`,
        `        bindingVersion: 0.3.0`,
      ].join('\n'),
    );
    if (command) {
      const replyKey = syntheticKey((i + 1) % n);
      const replyMsg = messageName((i + 1) % n);
      operations.push(
        [
          `  receive${msg}:`,
          `    action: receive`,
          `    channel:`,
          `      $ref: "#/channels/${key}"`,
          `    messages:`,
          `      - $ref: "#/channels/${key}/messages/${msg}"`,
          `    reply:`,
          `      channel:`,
          `        $ref: "#/channels/${replyKey}"`,
          `      messages:`,
          `        - $ref: "#/channels/${replyKey}/messages/${replyMsg}"`,
        ].join('\n'),
      );
    }
    operations.push(
      [
        `  send${msg}:`,
        `    action: send`,
        `    channel:`,
        `      $ref: "#/channels/${key}"`,
        `    messages:`,
        `      - $ref: "#/channels/${key}/messages/${msg}"`,
      ].join('\n'),
    );
    messages.push(
      [
        `    ${msg}:`,
        `      name: ${key}`,
        `      title: ${q(`Entity ${i} happened`)}`,
        `      contentType: application/json`,
        ...(command ? [`      tags:`, `        - name: command`] : []),
        `      payload:`,
        `        schemaFormat: application/schema+json;version=draft-07`,
        `        schema:`,
        `          allOf:`,
        `            - $ref: ./schemas/_common/envelope.json`,
        `            - type: object`,
        `              properties:`,
        `                event_type:`,
        `                  const: ${key}`,
        `                payload:`,
        `                  $ref: ./${rel}`,
      ].join('\n'),
    );
  }

  const doc = [
    '# Synthetic catalogue written by scripts/bench/synthetic.ts',
    'asyncapi: 3.0.0',
    'info:',
    `  title: Synthetic ${n}`,
    '  version: 1.0.0',
    'defaultContentType: application/json',
    'servers:',
    '  rabbitmq:',
    '    host: localhost:5672',
    '    protocol: amqp',
    '    protocolVersion: 0.9.1',
    'channels:',
    ...channels,
    'operations:',
    ...operations,
    'components:',
    '  messages:',
    ...messages,
    '',
  ].join('\n');
  const input = join(dir, 'asyncapi.yaml');
  writeFileSync(input, doc);
  return { input, events: n, commands, payloadSchemas };
}
