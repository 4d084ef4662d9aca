/**
 * A small hand-built registry for runtime tests (generated/ is not needed): three events with publish
 * (strict, defaults applied) and consume (tolerant) validators compiled by ajv at test time.
 */
import { Ajv, type SchemaObject } from 'ajv';
import { createRegistry, type EventDefinition, type Registry } from '../../runtime/registry.js';
import { wrapValidator } from '../../runtime/validation.js';

export interface OrderCreated {
  order_id: string;
  amount: number;
  currency: string;
  note: string | null;
}
export interface Ping {
  n: number;
}
export interface Blob {
  text: string;
}

export type TestCatalog = {
  'test.order.created': {
    payload: OrderCreated;
    input: Pick<OrderCreated, 'order_id' | 'amount'> & Partial<OrderCreated>;
    kind: 'event';
  };
  'test.ping': { payload: Ping; input: Ping; kind: 'event' };
  'test.blob.stored': { payload: Blob; input: Blob; kind: 'event' };
};

const schemas: Record<keyof TestCatalog, SchemaObject> = {
  'test.order.created': {
    type: 'object',
    additionalProperties: false,
    required: ['order_id', 'amount', 'currency', 'note'],
    properties: {
      order_id: { type: 'string', minLength: 1 },
      amount: { type: 'number', minimum: 0, maximum: 1000 },
      currency: { type: 'string', enum: ['EUR', 'USD'], default: 'EUR' },
      note: { type: ['string', 'null'], default: null },
    },
  },
  'test.ping': {
    type: 'object',
    additionalProperties: false,
    required: ['n'],
    properties: { n: { type: 'integer' } },
  },
  'test.blob.stored': {
    type: 'object',
    additionalProperties: false,
    required: ['text'],
    properties: { text: { type: 'string', maxLength: 2_000_000 } },
  },
};

const envelopeSchema: SchemaObject = {
  type: 'object',
  required: ['event_id', 'event_type', 'timestamp', 'version', 'source', 'correlation_ids', 'payload'],
  properties: {
    event_id: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' },
    event_type: { type: 'string' },
    timestamp: { type: 'string' },
    version: { type: 'string' },
    source: {
      type: 'object',
      required: ['host', 'type'],
      properties: { host: { type: 'string' }, type: { type: 'string' } },
    },
    correlation_ids: { type: 'array', items: { type: 'string' } },
  },
};

export function createTestRegistry(): Registry<TestCatalog> {
  const publishAjv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  const consumeAjv = new Ajv({ allErrors: true, useDefaults: true, strict: false, removeAdditional: true });
  const definitions: EventDefinition[] = (Object.keys(schemas) as Array<keyof TestCatalog>).map((key) => {
    const schema = schemas[key];
    const tokens = key.split('.');
    return {
      key,
      tokens,
      domain: tokens[0] as string,
      group: tokens.slice(0, -1).join('/'),
      kind: 'event',
      typeName: key,
      schemaId: null,
      schema,
      replyKey: null,
      errorKey: null,
      title: key,
      description: `test event ${key}`,
      examples: [],
      validatePublish: wrapValidator(publishAjv.compile(schema), '/payload'),
      validateConsume: wrapValidator(
        consumeAjv.compile({ ...schema, additionalProperties: true }),
        '/payload',
      ),
    };
  });
  const env = new Ajv({ allErrors: true, strict: false });
  const validateEnvelope = wrapValidator(env.compile(envelopeSchema));
  return createRegistry<TestCatalog>(definitions, {
    validatePublish: validateEnvelope,
    validateConsume: validateEnvelope,
  });
}
