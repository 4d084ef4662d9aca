/**
 * `node scripts/sweep-test-leftovers.mjs` (CI's .ci/run, before the suite): deletes the queues and
 * exchanges killed test runs left (names containing `bbtest`, no consumer), keeps everything else. On a
 * private node: the sweep deletes every idle test queue, which on the shared broker would include the
 * queues of the tests running beside this one.
 */
import amqp from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPrivateRabbit, type PrivateRabbit } from '../support/private-rabbit.js';
import { runCommand } from '../support/run-command.js';

let rabbit: PrivateRabbit;

beforeAll(async () => {
  rabbit = await startPrivateRabbit();
}, 180_000);

afterAll(async () => {
  await rabbit?.dispose();
});

const sweep = (env: NodeJS.ProcessEnv) => runCommand('node', ['scripts/sweep-test-leftovers.mjs'], env);

const queueNames = async () =>
  (await rabbit.ctl('list_queues', '-q', '--no-table-headers', 'name')).split('\n').filter(Boolean).sort();

it('deletes idle bbtest queues and exchanges, keeps consumed ones and everyone else’s', async () => {
  const connection = await amqp.connect(rabbit.url);
  const channel = await connection.createChannel();
  // Left by a killed run: a durable quorum queue holding a message, a classic dead-letter queue whose name
  // only contains the mark, an exchange.
  await channel.assertQueue('bbtest.left.q', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  channel.sendToQueue('bbtest.left.q', Buffer.from('{}'), { persistent: true });
  await channel.assertQueue('pfixture.bbtest-rt-x.q.dlq', { durable: true });
  await channel.assertExchange('bbtest.left.x', 'topic', { durable: true });
  // In use (a consumer), and not ours: kept.
  await channel.assertQueue('bbtest.live.q', { durable: true });
  await channel.consume('bbtest.live.q', () => undefined);
  await channel.assertQueue('orders.q', { durable: true });
  await channel.assertExchange('orders.x', 'topic', { durable: true });

  const env = { ...process.env, ...rabbit.env, RABBITMQCTL: rabbit.rabbitmqctl, RABBIT_URL: rabbit.url };
  const swept = await sweep(env);
  expect(swept.stderr).toBe('');
  expect(swept.stdout).toContain('sweep: deleted 2 queues and 1 exchanges left by earlier test runs');
  expect(swept.code).toBe(0);
  expect(await queueNames()).toEqual(['bbtest.live.q', 'orders.q']);
  const exchanges = await rabbit.ctl('list_exchanges', '-q', '--no-table-headers', 'name');
  expect(exchanges).toContain('orders.x');
  expect(exchanges).not.toContain('bbtest.left.x');

  // Nothing left to sweep: says so.
  const again = await sweep(env);
  expect(again.stdout).toContain('sweep: no leftovers of earlier test runs on the broker');
  await connection.close();

  // A node rabbitmqctl cannot reach: says so, changes nothing, does not fail CI on its own.
  const blind = await sweep({ ...env, RABBITMQ_NODENAME: 'bbtest-nobody@localhost' });
  expect(blind.code).toBe(0);
  expect(blind.stderr).toContain("sweep: rabbitmqctl could not list the broker's queues");
  expect(await queueNames()).toEqual(['bbtest.live.q', 'orders.q']);
}, 180_000);
