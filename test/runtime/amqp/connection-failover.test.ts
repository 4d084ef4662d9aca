/**
 * A connection given several nodes (`RABBIT_URL=a,b,…`) starts on the first that answers and gives up
 * only after `maxRetries` failed attempts across the list. Killing a node mid-run is
 * test/runtime/amqp/cluster-failover.test.ts (private cluster).
 */
import { describe, expect, it } from 'vitest';
import { createConnection, redactUrl } from '../../../runtime/amqp/connection.js';
import { isConnectionError } from '../../../runtime/errors/index.js';
import { SHARED_URL, freePort, uniqueName } from '../../support/private-rabbit.js';

describe('createConnection with a list of nodes', () => {
  it('skips a node that refuses and connects to the next one', async () => {
    const dead = `amqp://guest:guest@127.0.0.1:${await freePort()}`;
    const conn = await createConnection({ url: `${dead},${SHARED_URL}`, name: uniqueName('conn') });
    try {
      await conn.waitForConnect();
      expect(conn.connected).toBe(true);
      expect(conn.generation).toBe(1);
      expect(conn.node).toBe(redactUrl(SHARED_URL));
      const ch = await conn.createChannel();
      await ch.checkExchange('amq.topic');
      await ch.close();
    } finally {
      await conn.close();
    }
  });

  it('gives up after maxRetries attempts across every node, naming them without credentials', async () => {
    const a = `amqp://user:secret@127.0.0.1:${await freePort()}`;
    const b = `amqp://user:secret@127.0.0.1:${await freePort()}`;
    const conn = await createConnection({
      url: `${a},${b}`,
      name: uniqueName('conn'),
      maxRetries: 3,
      initialDelayMs: 1,
    });
    const error = await conn.waitForConnect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isConnectionError(error)).toBe(true);
    const cause = (error as Error).cause as Error;
    expect(cause.message).toMatch(
      /gave up reconnecting to amqp:\/\/\*\*\*@127\.0\.0\.1:\d+,amqp:\/\/\*\*\*@/,
    );
    expect(String(cause.message)).not.toContain('secret');
    await expect(conn.createChannel()).rejects.toThrow();
    await conn.close();
  });
});
