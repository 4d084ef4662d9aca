/**
 * MQTT interop (issue 17 point 2): a channel served by an MQTT server is reached through RabbitMQ's MQTT
 * plugin, which maps the topic onto `amq.topic` (`/` → `.`). A real MQTT client (the `mqtt` package) and
 * our AMQP publisher and subscriber exchange typed messages both ways through one RabbitMQ node with
 * `rabbitmq_mqtt` enabled: a private node (DESIGN.md §8; Mosquitto holds 1883 on our machines).
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageContext } from '../../runtime/bus.js';
import type { Envelope } from '../../runtime/envelope.js';
import { createConnection, type BloodbankConnection } from '../../runtime/amqp/connection.js';
import { createSubscriber, type AmqpSubscriber } from '../../runtime/amqp/consumer.js';
import { createPublisher, type Publisher } from '../../runtime/amqp/publisher.js';
import { HEADERS, queueNames } from '../../runtime/delivery/rules.js';
import { DEFAULT_EXCHANGE } from '../../runtime/amqp/topology.js';
import { freePort, startPrivateRabbit, type PrivateRabbit } from '../support/private-rabbit.js';
import { createForeignRegistry, type ForeignCatalog, type Reading } from '../support/foreign-registry.js';

const suffix = randomBytes(4).toString('hex');
const registry = createForeignRegistry(suffix);

let rabbit: PrivateRabbit;
let mqttPort: number;
let connection: BloodbankConnection;
let publisher: Publisher<ForeignCatalog>;
let subscriber: AmqpSubscriber<ForeignCatalog>;
let client: MqttClient;

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  mqttPort = await freePort();
  rabbit = await startPrivateRabbit({
    plugins: ['rabbitmq_mqtt'],
    config: [`mqtt.listeners.tcp.1 = 127.0.0.1:${mqttPort}`, 'mqtt.allow_anonymous = false'].join('\n'),
  });
  connection = await createConnection({ url: rabbit.url, name: `bbtest-mqtt-${suffix}` });
  await connection.waitForConnect();
  publisher = createPublisher({ registry, connection });
  await publisher.ready();
  subscriber = await createSubscriber({ registry, connection, retry: { maxAttempts: 1, delaysMs: [50] } });
  client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
    username: 'guest',
    password: 'guest',
    clientId: `bbtest-${suffix}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
}, 120_000);

afterAll(async () => {
  await client?.endAsync().catch(() => undefined);
  await subscriber?.close();
  await publisher?.close();
  await connection?.close();
  await rabbit?.dispose();
}, 60_000);

describe('MQTT client ↔ AMQP service through RabbitMQ with rabbitmq_mqtt (private node)', () => {
  it('an MQTT publish on sensors/<id>/reading reaches the typed AMQP handler with the parsed parameter; an invalid one is dead-lettered', async () => {
    const seen: Array<{ event: Envelope; context: MessageContext }> = [];
    const service = `mqtt-${suffix}`;
    const sub = await subscriber.subscribe(
      'readings',
      (event, context) => void seen.push({ event, context }),
      {
        service,
      },
    );
    try {
      await client.publishAsync(
        `t${suffix}/sensors/s1/reading`,
        JSON.stringify({ sensor: 's1', value: 21.5 }),
        {
          qos: 1,
        },
      );
      await client.publishAsync(
        `t${suffix}/sensors/s2/reading`,
        JSON.stringify({ sensor: 's2', value: 'hot' }),
        {
          qos: 1,
        },
      );
      await until(() => seen.length === 1);
      const [first] = seen;
      expect(first?.event.event_type).toBe('readings');
      expect(first?.event.payload as Reading).toEqual({ sensor: 's1', value: 21.5 });
      expect(first?.context.parameters).toEqual({ sensorId: 's1' });
      // The invalid reading, in the service's dead-letter queue with the reason.
      const ch = await connection.createChannel();
      try {
        const dlq = queueNames(DEFAULT_EXCHANGE, service).dlq;
        let dead = await ch.get(dlq, { noAck: true });
        const end = Date.now() + 20_000;
        while (!dead && Date.now() < end) {
          await new Promise((r) => setTimeout(r, 50));
          dead = await ch.get(dlq, { noAck: true });
        }
        expect(dead && dead.properties.headers?.[HEADERS.deadLetterReason]).toBe('validation');
        expect(dead && String(dead.properties.headers?.[HEADERS.error])).toContain('payload/value');
        for (const q of [queueNames(DEFAULT_EXCHANGE, service).main, dlq]) await ch.deleteQueue(q);
      } finally {
        await ch.close().catch(() => undefined);
      }
    } finally {
      await sub.close();
    }
  });

  it('our AMQP publish of a typed command reaches an MQTT subscriber of sensors/+/command as the bare JSON payload', async () => {
    const got: Array<{ topic: string; body: string }> = [];
    client.on('message', (topic, payload) => got.push({ topic, body: payload.toString('utf8') }));
    await client.subscribeAsync(`t${suffix}/sensors/+/command`, { qos: 1 });
    const receipt = await publisher.publish(
      'readings.command',
      { text: 'on' },
      { parameters: { sensorId: 's7' } },
    );
    await until(() => got.length === 1);
    expect(got[0]).toEqual({ topic: `t${suffix}/sensors/s7/command`, body: JSON.stringify({ text: 'on' }) });
    expect(receipt.eventType).toBe('readings.command');
    // A sensor id that would become a topic level of its own is refused before anything is sent.
    await expect(
      publisher.publish('readings.command', { text: 'on' }, { parameters: { sensorId: 'a/b' } }),
    ).rejects.toThrow(/parameters\/sensorId/);
  });
});
