/**
 * A hand-built registry as codegen writes one for a document we did not write (issues 17/19): keys are
 * channel ids (`channelId.messageId` where a channel has several messages), addresses with `{param}`
 * placeholders, several messages per channel (told apart by AMQP type, a discriminator or validation),
 * typed headers with a correlation id and a reply address, `address: null`, `is: queue` and MQTT.
 * Validators are ajv-compiled like codegen's (publish strict with defaults, consume tolerant).
 */
import { Ajv } from 'ajv';
import {
  createRegistry,
  type DeliveryBinding,
  type EventDefinition,
  type JsonSchema,
  type Registry,
} from '../../runtime/registry.js';
import { wrapValidator, type AjvValidateFunction } from '../../runtime/validation.js';

export interface Posted {
  text: string;
}
export interface Joined {
  user: string;
}
export interface Order {
  kind: 'created' | 'cancelled';
  id: string;
}
export interface Reading {
  sensor: string;
  value: number;
}

type E<P> = { payload: P; input: P; kind: 'event' };
export type ForeignCatalog = {
  'room.posted': E<Posted>;
  'room.joined': E<Joined>;
  'orders.created': E<Order>;
  'orders.cancelled': E<Order>;
  anykey: E<Posted>;
  jobs: E<Posted>;
  readings: E<Reading>;
  'readings.command': E<Posted>;
};

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });

function object(properties: Record<string, JsonSchema>, required: string[], strict: boolean): JsonSchema {
  return { type: 'object', properties, required, ...(strict ? { additionalProperties: false } : {}) };
}

function define(
  key: string,
  schema: (strict: boolean) => JsonSchema,
  extra: Partial<EventDefinition>,
): EventDefinition {
  return {
    key,
    tokens: key.split('.'),
    domain: key.split('.')[0] ?? key,
    group: key.split('.')[0] ?? key,
    kind: 'event',
    typeName: 'T',
    schemaId: null,
    schema: schema(true),
    replyKey: null,
    errorKey: null,
    title: key,
    description: key,
    examples: [],
    validatePublish: wrapValidator(ajv.compile(schema(true)) as AjvValidateFunction),
    validateConsume: wrapValidator(ajv.compile(schema(false)) as AjvValidateFunction),
    ...extra,
  };
}

const text = (strict: boolean) => object({ text: { type: 'string' } }, ['text'], strict);
const order = (kind: string) => (strict: boolean) =>
  object({ kind: { const: kind }, id: { type: 'string' } }, ['kind', 'id'], strict);

/**
 * `suffix` keeps addresses and queue names of one test run apart from every other on the shared broker.
 */
export function createForeignRegistry(suffix: string): Registry<ForeignCatalog> {
  const headersSchema = object(
    { traceId: { type: 'string', minLength: 1 }, replyTo: { type: 'string' }, hops: { type: 'integer' } },
    ['traceId'],
    false,
  );
  const roomAddress = `t${suffix}.rooms.{roomId}.events`;
  const roomParameters = [{ name: 'roomId', enum: ['r1', 'r2', 'lobby'], default: 'lobby' }];
  const queue: DeliveryBinding = {
    is: 'queue',
    queue: { name: `bbtest.jobs.${suffix}`, durable: true, exclusive: false, autoDelete: false },
  };
  const definitions: EventDefinition[] = [
    // One channel, two messages: the AMQP type (ours) or validation (a foreign producer) tells them apart.
    define('room.posted', text, {
      channelId: 'room',
      messageId: 'posted',
      address: roomAddress,
      parameters: roomParameters,
      headers: {
        schema: headersSchema,
        validate: wrapValidator(ajv.compile(headersSchema) as AjvValidateFunction),
      },
      correlationIdLocation: '$message.header#/traceId',
      replyAddress: '$message.header#/replyTo',
    }),
    define('room.joined', (strict) => object({ user: { type: 'string' } }, ['user'], strict), {
      channelId: 'room',
      messageId: 'joined',
      address: roomAddress,
      parameters: roomParameters,
    }),
    // A placeholder inside a word (`/` is not a word separator): bound with `#` and filtered.
    define('orders.created', order('created'), {
      channelId: 'orders',
      messageId: 'created',
      address: `t${suffix}/orders/{region}`,
      parameters: [{ name: 'region' }],
      discriminator: { pointer: '/kind', value: 'created' },
    }),
    define('orders.cancelled', order('cancelled'), {
      channelId: 'orders',
      messageId: 'cancelled',
      address: `t${suffix}/orders/{region}`,
      parameters: [{ name: 'region' }],
      discriminator: { pointer: '/kind', value: 'cancelled' },
    }),
    define('anykey', text, {
      channelId: 'anykey',
      address: null,
      delivery: { is: 'routingKey', messageType: `anykey.${suffix}` },
    }),
    define('jobs', text, { channelId: 'jobs', address: 'jobs', delivery: queue }),
    // MQTT: the topic maps onto amq.topic as RabbitMQ's MQTT plugin maps it.
    define(
      'readings',
      (strict) =>
        object({ sensor: { type: 'string' }, value: { type: 'number' } }, ['sensor', 'value'], strict),
      {
        channelId: 'readings',
        address: `t${suffix}/sensors/{sensorId}/reading`,
        parameters: [{ name: 'sensorId' }],
        delivery: { is: 'mqtt', qos: 1 },
      },
    ),
    define('readings.command', text, {
      channelId: 'readings.command',
      address: `t${suffix}/sensors/{sensorId}/command`,
      parameters: [{ name: 'sensorId' }],
      delivery: { is: 'mqtt', qos: 1 },
    }),
  ];
  return createRegistry<ForeignCatalog>(definitions, null);
}
