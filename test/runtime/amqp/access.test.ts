/**
 * Least privilege on a real broker (issue 18), on a private RabbitMQ node (DESIGN.md §8): the definitions
 * built from a policy are applied the way `bb broker apply` does (plan, then rabbitmqctl import); then a
 * service's own credentials publish what its policy allows, a refused routing key rejects exactly that
 * publish with a PublishRefusedError naming the key and the user while the other in-flight publishes are
 * all delivered, and a subscription outside the read policy fails at subscribe().
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { createGateway } from '../../../apps/gateway/gateway.js';
import { appRegistry, example } from '../../apps/gateway/helpers.js';
import { planDefinitions, rabbitmqctlTarget } from '../../../apps/shared/broker-apply.js';
import { brokerDefinitions, rabbitPasswordHash } from '../../../apps/shared/broker-definitions.js';
import { validatePolicy } from '../../../apps/shared/policy.js';
import { createConnection, type BloodbankConnection } from '../../../runtime/amqp/connection.js';
import { createSubscriber } from '../../../runtime/amqp/consumer.js';
import { createPublisher, type Publisher } from '../../../runtime/amqp/publisher.js';
import { isAccessRefusedError } from '../../../runtime/errors/access-refused-error.js';
import {
  isPublishRefusedError,
  type PublishRefusedError,
} from '../../../runtime/errors/publish-refused-error.js';
import {
  createAdmin,
  startPrivateRabbit,
  uniqueName,
  type Admin,
  type PrivateRabbit,
} from '../../support/private-rabbit.js';
import { createTestRegistry, type TestCatalog } from '../../support/test-registry.js';

const registry = createTestRegistry();
const source = { host: 'access-test', type: 'manual' as const, app: 'access-test' };
const exchange = uniqueName('acl');
const passwords = new Map([
  ['writer', randomBytes(12).toString('hex')],
  ['reader', randomBytes(12).toString('hex')],
  ['gateway', randomBytes(12).toString('hex')],
]);
const policy = validatePolicy(
  {
    services: {
      writer: { publish: ['test.ping', 'test.order.*'] },
      reader: { consume: ['test.ping'] },
      // The shipped policy's gateway entry: publishes anything, streams live events from server-named queues.
      gateway: { publish: ['#'], consume: ['#'], queues: ['amq.gen-'] },
    },
  },
  registry.list().map((d) => d.key),
);
const definitions = brokerDefinitions(policy, { exchange, vhost: '/', passwords });

let rabbit: PrivateRabbit;
let admin: Admin;
const urlOf = (user: string) => `amqp://${user}:${passwords.get(user)}@127.0.0.1:${rabbit.port}`;

beforeAll(async () => {
  rabbit = await startPrivateRabbit();
  admin = await createAdmin(rabbit.url);
}, 120_000);

afterAll(async () => {
  await admin?.cleanup().catch(() => undefined);
  await admin?.close();
  await rabbit?.dispose();
}, 60_000);

describe('broker definitions applied to a node (private)', () => {
  it('plans the users, permissions, topic permissions and exchange, imports them, then plans nothing', async () => {
    const target = rabbitmqctlTarget({ command: rabbit.rabbitmqctl, node: rabbit.node, env: rabbit.env });
    const samePassword = (hash: string, user: string) =>
      rabbitPasswordHash(passwords.get(user) ?? '', Buffer.from(hash, 'base64').subarray(0, 4)) === hash;
    const plan = planDefinitions(definitions, await target.export(), samePassword);
    expect(plan).toEqual(
      expect.arrayContaining([
        `+ exchange ${exchange} (topic, durable) on /`,
        '+ user gateway',
        '+ user reader',
        '+ user writer',
        expect.stringMatching(/^\+ permissions of writer on \/: configure \^\$, write/),
        expect.stringMatching(
          /^\+ topic permissions of writer on .*: write \^\(\?:test\\\.ping\|test\\\.order\\\.\[\^\.#\]\+\)\$/,
        ),
      ]),
    );
    await target.import(definitions);
    expect(planDefinitions(definitions, await target.export(), samePassword)).toEqual([]);
  }, 60_000);
});

describe('refusals are clear and lossless (private)', () => {
  const queue = `${exchange}.audit`;
  let publisher: Publisher<TestCatalog>;

  beforeAll(async () => {
    // An unprivileged view of everything published: guest's queue bound with '#'.
    await admin.channel.assertQueue(queue, { durable: true });
    await admin.channel.bindQueue(queue, exchange, '#');
    publisher = createPublisher<TestCatalog>({ registry, url: urlOf('writer'), exchange, source });
    await publisher.ready();
  });
  afterAll(async () => {
    await publisher?.close();
    await admin.channel.deleteQueue(queue).catch(() => undefined);
  });

  it('publishes what the policy allows with the service’s own credentials', async () => {
    const receipt = await publisher.publish('test.ping', { n: 1 });
    const got = await admin.drain(queue, 1);
    expect(got.map((m) => m.properties.messageId)).toEqual([receipt.eventId]);
  });

  it('a burst mixing allowed and refused keys: exactly the refused ones reject, nothing else is lost', async () => {
    const allowed = new Set<string>();
    const refused: PublishRefusedError[] = [];
    const other: unknown[] = [];
    const attempts: Array<Promise<void>> = [];
    for (let i = 0; i < 300; i += 1) {
      const refuse = i % 25 === 7;
      attempts.push(
        (refuse
          ? publisher.publish('test.blob.stored', { text: `no ${i}` })
          : i % 2 === 0
            ? publisher.publish('test.ping', { n: i })
            : publisher.publish('test.order.created', { order_id: `o-${i}`, amount: i })
        ).then(
          (r) => {
            allowed.add(r.eventId);
          },
          (error: unknown) => {
            if (isPublishRefusedError(error)) refused.push(error);
            else other.push(error);
          },
        ),
      );
    }
    await Promise.all(attempts);
    expect(other).toEqual([]);
    expect(refused).toHaveLength(12);
    expect(allowed.size).toBe(288);
    for (const error of refused) {
      expect(error.routingKey).toBe('test.blob.stored');
      expect(error.user).toBe('writer');
      expect(error.message).toMatch(/refused routing key test\.blob\.stored for user writer/);
    }
    // At least once: messages routed but not yet confirmed when a refusal closed the channel are sent
    // again (duplicates, deduplicated by event id on consume); the set of ids is what must match.
    const messages = await admin.drain(queue, 100_000);
    const delivered = new Set(messages.map((m) => String(m.properties.messageId)));
    const missing = [...allowed].filter((id) => !delivered.has(id));
    const extra = [...delivered].filter((id) => !allowed.has(id));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    expect(publisher.health().status).toBe('up');
  }, 60_000);

  it('the gateway runs with its own least-privilege user: publishes, streams live events', async () => {
    const gateway = await createGateway({
      registry: appRegistry,
      rabbitUrl: urlOf('gateway'),
      exchange,
      redisUrl: null,
      rateLimit: false,
    });
    try {
      expect(await gateway.waitForBroker(10_000)).toBe(true);
      const url = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
      const socket = new WebSocket(`${url.replace('http', 'ws')}/ws/events?pattern=llm.%23`);
      const frames: Array<{ type: string; routing_key?: string }> = [];
      socket.on('message', (data: Buffer) =>
        frames.push(JSON.parse(data.toString()) as (typeof frames)[number]),
      );
      await vi.waitFor(() => expect(frames.some((f) => f.type === 'hello')).toBe(true), { timeout: 10_000 });
      const res = await fetch(`${url}/events/llm/prompt`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(example('llm.prompt')),
      });
      expect(res.status).toBe(202);
      await vi.waitFor(() => expect(frames.some((f) => f.routing_key === 'llm.prompt')).toBe(true), {
        timeout: 10_000,
      });
      socket.close();
      expect(await admin.drain(queue, 1)).toHaveLength(1);
    } finally {
      await gateway.close();
    }
  }, 60_000);

  it('a service with no publish rights is refused on every key', async () => {
    const reader = createPublisher<TestCatalog>({ registry, url: urlOf('reader'), exchange, source });
    try {
      await expect(reader.publish('test.ping', { n: 1 })).rejects.toThrow(
        /refused routing key test\.ping for user reader/,
      );
    } finally {
      await reader.close();
    }
  });
});

describe('subscriptions outside the read policy (private)', () => {
  let connection: BloodbankConnection;
  beforeAll(async () => {
    connection = await createConnection({ url: urlOf('reader'), name: 'access-reader' });
    await connection.waitForConnect();
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('subscribes within its policy, and fails at subscribe() naming the pattern and the user outside it', async () => {
    const subscriber = await createSubscriber<TestCatalog>({ registry, connection, exchange });
    let caught: unknown;
    try {
      await subscriber.subscribe(['test.ping', 'test.blob.stored'], () => {}, { service: 'reader' });
    } catch (error) {
      caught = error;
    }
    expect(isAccessRefusedError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(
      /binding pattern test\.blob\.stored is outside the read topic permissions of user reader/,
    );
    const ok = await subscriber.subscribe('test.ping', () => {}, { service: 'reader' });
    expect(ok.queue).toBe(`${exchange}.reader.q`);
    await expect(subscriber.subscribe('test.ping', () => {}, { service: 'someone-else' })).rejects.toThrow(
      /user reader may not access queue .*someone-else/,
    );
    await subscriber.close();
  }, 60_000);
});
