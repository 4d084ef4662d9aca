#!/usr/bin/env node
// Deletes what killed test runs left on the shared broker: queues and exchanges whose names contain
// `bbtest` (every name a test declares there carries it, test/support/private-rabbit.ts `uniqueName`) and
// that no consumer uses. A run that finishes deletes its own; a run that is killed cannot, and its durable
// queues come back at every broker start. A few hundred leftover quorum queues exhaust the file-handle
// budget of a broker started with Debian's soft limit of 1,024: it then accepts TCP and answers nothing.
//
// CI only (.ci/run), where no other run shares the broker: a queue of a concurrent run, declared but not
// yet consumed, would be deleted too. Listing needs rabbitmqctl (AMQP cannot list); deleting goes over
// AMQP (one process, not one rabbitmqctl start per queue). If rabbitmqctl cannot reach the node, the sweep
// says so and changes nothing.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';

const run = promisify(execFile);
const url = process.env['RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const MARK = 'bbtest';
// The broker's CLI (a test points it, with RABBITMQ_NODENAME and HOME, at a private node of its own).
const rabbitmqctl = process.env['RABBITMQCTL'] ?? 'rabbitmqctl';

async function list(what, ...columns) {
  const { stdout } = await run(rabbitmqctl, [what, '-q', '--no-table-headers', ...columns], {
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split('\t'));
}

let queues;
let exchanges;
try {
  queues = (await list('list_queues', 'name', 'consumers'))
    .filter(([name, consumers]) => name.includes(MARK) && consumers === '0')
    .map(([name]) => name);
  exchanges = (await list('list_exchanges', 'name'))
    .map(([name]) => name)
    .filter((name) => name.includes(MARK));
} catch (error) {
  console.error(
    `sweep: rabbitmqctl could not list the broker's queues (${error.message.split('\n')[0]}); nothing swept`,
  );
  process.exit(0);
}
if (queues.length === 0 && exchanges.length === 0) {
  console.log('sweep: no leftovers of earlier test runs on the broker');
  process.exit(0);
}

const connection = await amqp.connect(url);
let channel;
async function fresh() {
  channel = await connection.createChannel();
  channel.on('error', () => undefined);
}
await fresh();
const failed = [];
/** Deletes one queue or exchange; false when the broker refused. */
async function remove(kind, name) {
  try {
    if (kind === 'queue') await channel.deleteQueue(name);
    else await channel.deleteExchange(name);
    return true;
  } catch (error) {
    // A channel error closes the channel: note it, open another, go on with the rest.
    failed.push(`${kind} ${name}: ${error.message}`);
    await fresh();
    return false;
  }
}
let deletedQueues = 0;
let deletedExchanges = 0;
for (const name of queues) if (await remove('queue', name)) deletedQueues += 1;
for (const name of exchanges) if (await remove('exchange', name)) deletedExchanges += 1;
await connection.close();
console.log(
  `sweep: deleted ${deletedQueues} queues and ${deletedExchanges} exchanges left by earlier test runs`,
);
for (const f of failed) console.error(`sweep: could not delete ${f}`);
