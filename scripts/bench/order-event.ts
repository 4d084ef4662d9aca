/**
 * The one event the runtime benches publish and consume: `bench.order.created`, a ~1 KB order with a
 * strict publish schema (closed objects, bounds, a default) and a tolerant consume schema, registered the
 * way generated code registers an event (precompiled at start, no schema loading per message).
 */
import { Ajv } from 'ajv';
import { createRegistry, type EventDefinition, type Registry } from '../../runtime/registry.js';
import { wrapValidator, type AjvValidateFunction } from '../../runtime/validation.js';

export const KEY = 'bench.order.created';

export interface BenchPayload {
  order_id: string;
  customer: string;
  amount: number;
  currency: string;
  items: Array<{ sku: string; qty: number }>;
  note: string;
}

export type BenchCatalog = {
  [KEY]: {
    payload: BenchPayload;
    /** `currency` has a default. */
    input: Omit<BenchPayload, 'currency'> & { currency?: string };
    kind: 'event';
  };
};

function schema(strict: boolean) {
  const closed = strict ? { additionalProperties: false } : {};
  return {
    type: 'object',
    ...closed,
    required: ['order_id', 'customer', 'amount', 'currency', 'items', 'note'],
    properties: {
      order_id: { type: 'string', minLength: 1, maxLength: 64 },
      customer: { type: 'string', maxLength: 256 },
      amount: { type: 'number', minimum: 0 },
      currency: { type: 'string', enum: ['EUR', 'USD'], default: 'EUR' },
      items: {
        type: 'array',
        maxItems: 100,
        items: {
          type: 'object',
          ...closed,
          required: ['sku', 'qty'],
          properties: { sku: { type: 'string', maxLength: 64 }, qty: { type: 'integer', minimum: 1 } },
        },
      },
      note: { type: 'string', maxLength: 4096 },
    },
  };
}

export function benchRegistry(): Registry<BenchCatalog> {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  const definition: EventDefinition = {
    key: KEY,
    tokens: KEY.split('.'),
    domain: 'bench',
    group: 'bench/order',
    kind: 'event',
    typeName: 'BenchOrderCreatedPayload',
    schemaId: null,
    schema: schema(true),
    replyKey: null,
    errorKey: null,
    title: KEY,
    description: 'benchmark event',
    examples: [],
    validatePublish: wrapValidator(ajv.compile(schema(true)) as AjvValidateFunction, '/payload'),
    validateConsume: wrapValidator(ajv.compile(schema(false)) as AjvValidateFunction, '/payload'),
  };
  return createRegistry<BenchCatalog>([definition], null);
}
