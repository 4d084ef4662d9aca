import { randomBytes } from 'node:crypto';
import { createConnection } from '../../runtime/amqp/connection.js';
import { createSubscriber } from '../../runtime/amqp/consumer.js';
import { createDlqAdmin } from '../../runtime/amqp/dlq.js';
import { createPublisher } from '../../runtime/amqp/publisher.js';
import { queueNames } from '../../runtime/delivery/rules.js';
import { IdempotencyStore } from '../../runtime/redis/idempotency-store.js';
import { createContractRegistry } from '../support/contract-registry.js';
import { defineTransportContract } from './suite.js';

const FEATURES = { deliveryTimeoutMs: 10_000, quietMs: 250, backoffSlackMs: 5 };

const RABBIT_URL = process.env['RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

for (const wire of ['envelope', 'bare'] as const)
  defineTransportContract(
    'RabbitMQ',
    async ({ retry, idempotency: gate, metrics, bare }) => {
      const suffix = randomBytes(4).toString('hex');
      const exchange = `bbtest.contract.${suffix}`;
      const registry = createContractRegistry({ bare });
      const connection = await createConnection({ url: RABBIT_URL, name: `bbtest-contract-${suffix}` });
      await connection.waitForConnect();
      const idempotency = new IdempotencyStore({ url: REDIS_URL, keyPrefix: `bbtest:idem:${suffix}` });
      await idempotency.start();
      const publisher = createPublisher({ registry, connection, exchange });
      await publisher.ready();
      const subscriber = await createSubscriber({
        registry,
        connection,
        exchange,
        retry,
        idempotency: gate ?? idempotency,
        ...(metrics ? { metrics } : {}),
      });
      const dlq = createDlqAdmin({ connection, exchange, retryDelaysMs: retry.delaysMs });
      const raw = await connection.createConfirmChannel();
      const services = new Set<string>();
      return {
        publisher,
        subscriber,
        service(label) {
          const s = `${label}-${suffix}`;
          services.add(s);
          return s;
        },
        publishRaw: (routingKey, body) =>
          new Promise<void>((resolve, reject) =>
            raw.publish(exchange, routingKey, Buffer.from(body), { persistent: true }, (err: unknown) =>
              err ? reject(err as Error) : resolve(),
            ),
          ),
        deadLetters: (service) => dlq.peek(service, 1_000),
        depth: async (service) =>
          (await subscriber.queueStats(queueNames(exchange, service).main))?.messageCount ?? null,
        async close() {
          await subscriber.close();
          await publisher.close();
          await raw.close().catch(() => {});
          const ch = await connection.createChannel();
          for (const s of services) {
            const names = queueNames(exchange, s);
            for (const q of [names.main, names.dlq, ...retry.delaysMs.map((d) => names.retry(d))])
              await ch.deleteQueue(q).catch(() => {});
          }
          await ch.deleteExchange(exchange).catch(() => {});
          await ch.close().catch(() => {});
          await connection.close();
          await idempotency.close();
        },
      };
    },
    { ...FEATURES, wire },
  );
