/**
 * Issues 17 and 19: the generated registry says what the document says. For every fixture written for
 * these issues, the expectations are read from the document through @asyncapi/parser's model (not from
 * codegen): one registry entry per message of each channel (none for a channel without messages), keyed
 * apart by channel id even where two channels share an address; the address as written (`null` kept);
 * its `{param}` placeholders in order, with each parameter's enum, default and description; headers where
 * the message declares them; the correlation id's location; a reply address given as a runtime expression;
 * the AMQP binding (exchange, `is: queue` with its queue, the message's `messageType`, the operation's
 * `cc`, `deliveryMode`, `expiration`); and MQTT delivery for a channel served only by MQTT servers.
 */
import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';
import { fromFile, Parser } from '@asyncapi/parser';
import type { AsyncAPIDocumentInterface, ChannelInterface } from '@asyncapi/parser';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventDefinition, Registry } from '../../runtime/registry.js';
import { codegenFixtures } from '../support/codegen-fixtures.js';

const parser = new Parser();
parser.registerSchemaParser(AvroSchemaParser());

/** Fixtures that carry our envelope or predate issues 17/19 are covered by their own tests. */
const OLDER = new Set([
  'mini',
  'named-types',
  'nested-unions',
  'rpc-service',
  'streetlights',
  'greenhouse',
  'versioned',
]);
const fixtures = codegenFixtures().filter((f) => !OLDER.has(f.name));

type Binding = Record<string, unknown>;
function amqpBinding(owner: {
  bindings(): { get(name: string): { value(): unknown } | undefined };
}): Binding {
  return (owner.bindings().get('amqp')?.value() ?? {}) as Binding;
}

function placeholders(address: string | null | undefined): string[] {
  return [...(address ?? '').matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');
}

/** What the registry must hold for `channel`'s messages, read from the parser's model. */
function expectedFor(doc: AsyncAPIDocumentInterface, channel: ChannelInterface) {
  const address = channel.address() ?? null;
  const binding = amqpBinding(channel);
  const servers = channel.servers().all();
  const serverProtocols = (servers.length > 0 ? servers : doc.servers().all()).map((s) => s.protocol());
  // An AMQP operation binding describes how the operation's messages are published, whichever side
  // publishes them (2.x: it applies to publish and subscribe alike); a send operation's binding first.
  const ops = [
    ...channel.operations().filter((o) => o.isSend()),
    ...channel.operations().filter((o) => !o.isSend()),
  ];
  const opBinding = ops.map(amqpBinding).find((b) => Object.keys(b).length > 0) ?? {};
  const parameters = placeholders(address).map((name) => {
    const p = channel.parameters().get(name);
    const schema = p?.schema();
    return {
      name,
      ...(schema?.enum() !== undefined ? { enum: schema.enum() } : {}),
      ...(schema?.default() !== undefined ? { default: schema.default() } : {}),
      ...(p?.description() !== undefined ? { description: p.description() } : {}),
    };
  });
  const exchange = binding['exchange'] as { name?: string } | undefined;
  const queue = binding['queue'] as { name?: string } | undefined;
  return channel
    .messages()
    .all()
    .map((message) => {
      const reply = channel
        .operations()
        .all()
        .find(
          (o) =>
            o
              .messages()
              .all()
              .some((m) => m.id() === message.id()) && o.reply()?.address(),
        )
        ?.reply()
        ?.address()
        ?.location();
      const messageType = amqpBinding(message)['messageType'];
      return {
        message: message.id(),
        address,
        parameters,
        headers: message.hasHeaders(),
        correlationIdLocation: message.correlationId()?.location(),
        replyAddress: reply?.startsWith('$') ? reply : undefined,
        exchange: binding['is'] !== 'queue' && exchange?.name ? exchange.name : undefined,
        delivery:
          binding['is'] === 'queue'
            ? { is: 'queue', queue: queue?.name ?? address }
            : serverProtocols.length > 0 && serverProtocols.every((p) => p === 'mqtt')
              ? { is: 'mqtt' }
              : { is: 'routingKey' },
        messageType: typeof messageType === 'string' ? messageType : undefined,
        cc: binding['is'] === 'queue' ? undefined : (opBinding['cc'] as string[] | undefined),
        deliveryMode:
          binding['is'] === 'queue' ? undefined : (opBinding['deliveryMode'] as number | undefined),
        expiration: binding['is'] === 'queue' ? undefined : (opBinding['expiration'] as number | undefined),
      };
    });
}

/** The same facts, read from a registry entry. */
function actual(def: EventDefinition) {
  const delivery = def.delivery ?? { is: 'routingKey' as const };
  return {
    address: def.address === undefined ? def.key : def.address,
    parameters: (def.parameters ?? []).map((p) => ({
      name: p.name,
      ...(p.enum !== undefined ? { enum: [...p.enum] } : {}),
      ...(p.default !== undefined ? { default: p.default } : {}),
      ...(p.description !== undefined ? { description: p.description } : {}),
    })),
    headers: def.headers !== undefined,
    correlationIdLocation: def.correlationIdLocation,
    replyAddress: def.replyAddress,
    exchange: def.exchange?.name,
    delivery: delivery.is === 'queue' ? { is: 'queue', queue: delivery.queue.name } : { is: delivery.is },
    messageType: delivery.is === 'mqtt' ? undefined : delivery.messageType,
    cc: delivery.is === 'routingKey' ? delivery.cc : undefined,
    deliveryMode: delivery.is === 'routingKey' ? delivery.deliveryMode : undefined,
    expiration: delivery.is === 'routingKey' ? delivery.expiration : undefined,
  };
}

describe('the registry says what the document says', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (name, fixture) => {
    const { document } = await fromFile(parser, fixture.document).parse();
    if (!document) throw new Error(`${name}: the parser gives no document`);
    const registry = ((await import(resolve(fixture.generated, 'index.ts'))) as { registry: Registry })
      .registry;
    const defs = registry.list();
    const channels = document.channels().all();
    // One entry per message of each channel, no more.
    expect(defs.length).toBe(channels.reduce((n, c) => n + c.messages().length, 0));
    expect(new Set(defs.map((d) => d.key)).size).toBe(defs.length);
    for (const channel of channels) {
      const mine = defs.filter((d) => d.channelId === channel.id());
      const want = expectedFor(document, channel);
      expect(mine.length, `${name}: entries of channel ${channel.id()}`).toBe(want.length);
      for (const w of want) {
        const def = mine.find((d) => d.messageId === w.message) ?? (mine.length === 1 ? mine[0] : undefined);
        expect(def, `${name}: channel ${channel.id()} message ${w.message}`).toBeDefined();
        if (!def) continue;
        const { message: _message, ...expected } = w;
        expect(actual(def), `${name}: ${channel.id()} / ${w.message}`).toEqual(expected);
      }
    }
  });
});
