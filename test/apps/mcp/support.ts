/**
 * `bb mcp` (the built binary) behind the SDK's own client over stdio, on its own exchange with a queue
 * bound to `#`; `close()` closes the client and deletes the exchange and its history stream.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import amqp from 'amqplib';
import { BB, deleteTopology, ensureCliBuilt, uniqueExchange } from '../cli/support.js';

export interface McpHarness {
  readonly client: Client;
  readonly exchange: string;
  readonly channel: amqp.Channel;
  /** Exclusive queue bound to `#` on the exchange. */
  readonly queue: string;
  close(): Promise<void>;
}

/** Starts `bb <args…> mcp` (args such as `--registry <module>`) on a new exchange. */
export async function startMcp(name: string, args: readonly string[] = []): Promise<McpHarness> {
  ensureCliBuilt();
  const exchange = uniqueExchange(name);
  const conn = await amqp.connect(process.env['RABBIT_URL'] ?? 'amqp://localhost:5672');
  const channel = await conn.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const queue = (await channel.assertQueue('', { exclusive: true })).queue;
  await channel.bindQueue(queue, exchange, '#');
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  const client = new Client({ name: 'bloodbank-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [BB, ...args, 'mcp'],
      env: { ...env, EXCHANGE_NAME: exchange, BLOODBANK_LOG_LEVEL: 'silent' },
      stderr: 'ignore',
    }),
  );
  return {
    client,
    exchange,
    channel,
    queue,
    async close() {
      await client.close();
      await channel.close().catch(() => {});
      await conn.close().catch(() => {});
      await deleteTopology(exchange, [`${exchange}.history`]).catch(() => {});
    },
  };
}
