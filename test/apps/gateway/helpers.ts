/**
 * A gateway on its own exchange (and queue bound to it with `#`), its own correlation key prefix, and an
 * ephemeral port; everything is deleted by `close()`. Tests never publish to bloodbank.events.v1.
 */
import { randomBytes } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { registry } from '../../../generated/registry.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../../apps/gateway/gateway.js';
import type { Registry } from '../../../runtime/registry.js';
import { createAdmin, SHARED_URL, uniqueName, type Admin } from '../../support/private-rabbit.js';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';
export const appRegistry = registry as unknown as Registry;

export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  readonly exchange: string;
  readonly queue: string;
  readonly admin: Admin;
  /** Messages on the test queue (read and acked), until `expected` came or 500 ms passed without one. */
  drain(expected: number, idleMs?: number): Promise<ConsumeMessage[]>;
  close(): Promise<void>;
}

export async function startGateway(
  options: Partial<GatewayOptions> & { bind?: string | null; listen?: boolean } = {},
): Promise<TestGateway> {
  const exchange = options.exchange ?? uniqueName('gw');
  const queue = `${exchange}.q`;
  const admin = await createAdmin(options.rabbitUrl ?? SHARED_URL);
  if (options.bind !== null) await admin.declare(exchange, queue, options.bind ?? '#');
  else await admin.channel.assertExchange(exchange, 'topic', { durable: true });
  const gateway = await createGateway({
    registry: appRegistry,
    rabbitUrl: SHARED_URL,
    redisUrl: REDIS_URL,
    correlationKeyPrefix: `bbtest:gw:${randomBytes(4).toString('hex')}`,
    rateLimit: false,
    ...options,
    exchange,
  });
  await gateway.waitForBroker(10_000);
  const url = options.listen === false ? '' : await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    gateway,
    url,
    exchange,
    queue,
    admin,
    drain: (expected, idleMs = 500) => admin.drain(queue, expected, idleMs),
    async close() {
      await gateway.close();
      await admin.channel.deleteQueue(queue).catch(() => undefined);
      await admin.cleanup();
      await admin.channel.deleteExchange(exchange).catch(() => undefined);
      await admin.close();
    },
  };
}

export function example(key: string): Record<string, unknown> {
  const def = appRegistry.require(key);
  return structuredClone(def.examples[0]) as Record<string, unknown>;
}

export function json(message: ConsumeMessage): {
  event_id: string;
  event_type: string;
  [k: string]: unknown;
} {
  return JSON.parse(message.content.toString('utf8')) as { event_id: string; event_type: string };
}
