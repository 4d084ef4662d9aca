import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { coalesceWrites } from '../../../runtime/amqp/coalesce.js';
import { createConnection } from '../../../runtime/amqp/connection.js';
import { createAdmin, SHARED_URL, uniqueName, type Admin } from '../../support/private-rabbit.js';

interface SocketLike {
  _write: (...args: unknown[]) => unknown;
  _writev?: (...args: unknown[]) => unknown;
}

/** Counts the writes reaching the socket (each one a system call) while `publish` runs. */
function countSocketWrites(channel: object): { calls: () => number } {
  const stream = (channel as { connection: { stream: SocketLike } }).connection.stream;
  let calls = 0;
  const write = stream._write.bind(stream);
  stream._write = (...args) => {
    calls += 1;
    return write(...args);
  };
  if (stream._writev) {
    const writev = stream._writev.bind(stream);
    stream._writev = (...args) => {
      calls += 1;
      return writev(...args);
    };
  }
  return { calls: () => calls };
}

const MESSAGES = 200;
// Over amqplib's 2 KiB single-chunk threshold: two chunks per message.
const body = Buffer.alloc(3000, 'x');

let admin: Admin;
let exchange: string;
let queue: string;

beforeAll(async () => {
  admin = await createAdmin();
  exchange = uniqueName('coalesce');
  queue = uniqueName('coalesce-q');
  await admin.declare(exchange, queue, '#');
});
afterAll(async () => {
  await admin.cleanup();
  await admin.close();
});

describe('write coalescing on our AMQP connections', () => {
  it('sends a burst of confirmed publishes in a few socket writes, and every message arrives', async () => {
    const connection = await createConnection({ url: SHARED_URL, name: uniqueName('coalesce') });
    try {
      const channel = await connection.createConfirmChannel();
      const writes = countSocketWrites(channel);
      for (let i = 0; i < MESSAGES; i++) channel.publish(exchange, 'a.b', body, { persistent: true });
      await channel.waitForConfirms();
      expect(writes.calls()).toBeGreaterThan(0);
      expect(writes.calls()).toBeLessThan(MESSAGES / 4);
      expect(await admin.drain(queue, MESSAGES)).toHaveLength(MESSAGES);
    } finally {
      await connection.close();
    }
  });

  it('control: a plain amqplib connection writes each chunk on its own', async () => {
    const model = await amqp.connect(SHARED_URL);
    try {
      const channel = await model.createConfirmChannel();
      const writes = countSocketWrites(channel);
      for (let i = 0; i < MESSAGES; i++) channel.publish(exchange, 'a.b', body, { persistent: true });
      await channel.waitForConfirms();
      expect(writes.calls()).toBeGreaterThanOrEqual(MESSAGES);
      expect(await admin.drain(queue, MESSAGES)).toHaveLength(MESSAGES);
    } finally {
      await model.close();
    }
  });

  it('corks the socket around each multiplexer pass, once per connection', () => {
    const events: string[] = [];
    const connection = {
      muxer: { _readIncoming: () => events.push('read') },
      stream: { cork: () => events.push('cork'), uncork: () => events.push('uncork') },
    };
    expect(coalesceWrites(connection)).toBe(true);
    expect(coalesceWrites(connection)).toBe(true);
    connection.muxer._readIncoming();
    expect(events).toEqual(['cork', 'read', 'uncork']);
  });

  it('leaves a connection without those internals alone and says so', () => {
    expect(coalesceWrites(null)).toBe(false);
    expect(coalesceWrites({ muxer: {}, stream: { cork() {}, uncork() {} } })).toBe(false);
    expect(coalesceWrites({ muxer: { _readIncoming() {} }, stream: {} })).toBe(false);
  });
});
