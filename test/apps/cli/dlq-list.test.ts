/**
 * `bb dlq list` without a service: every service of the exchange that has a dead-letter queue, found
 * through the management API of a private node that runs `rabbitmq_management` (the shared broker may
 * not), and a visible fallback to the command queues when the API is unreachable or refuses; `bb doctor`
 * checks the services it finds; `bb unbind` removes a stale pattern, checked against the API when it answers.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createAdmin,
  freePort,
  startPrivateRabbit,
  uniqueName,
  type PrivateRabbit,
} from '../../support/private-rabbit.js';
import { ensureCliBuilt, runBb } from './support.js';

let rabbit: PrivateRabbit;
const exchange = uniqueName('dlqall');
const queue = (service: string) => `${exchange}.${service}.q`;

interface Listed {
  queue: string;
  role: string;
  messageCount: number;
}

beforeAll(async () => {
  await ensureCliBuilt();
  rabbit = await startPrivateRabbit({ management: true });
  const admin = await createAdmin(rabbit.url);
  try {
    for (const service of ['alpha', 'beta']) {
      await admin.declare(exchange, queue(service), `${service}.#`);
      await admin.channel.assertQueue(`${queue(service)}.dlq`, { durable: true });
    }
    await admin.channel.assertQueue(queue('gamma'), { durable: true }); // no dead-letter queue
    await admin.channel.assertQueue(`other.${exchange}.zeta.q.dlq`, { durable: true }); // not this exchange
    admin.channel.sendToQueue(`${queue('alpha')}.dlq`, Buffer.from('{}'), { persistent: true });
    await admin.channel.checkQueue(`${queue('alpha')}.dlq`);
  } finally {
    await admin.close();
  }
}, 300_000);

afterAll(async () => {
  await rabbit?.dispose();
}, 60_000);

const env = (managementUrl: string) => ({
  RABBIT_URL: rabbit.url,
  EXCHANGE_NAME: exchange,
  BLOODBANK_MANAGEMENT_URL: managementUrl,
});

it('lists every service with a dead-letter queue, with depths, and nothing of other exchanges', async () => {
  const run = await runBb(['dlq', 'list', '--json'], { env: env(rabbit.managementUrl as string) });
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toBe('');
  const listed = JSON.parse(run.stdout) as Listed[];
  const names = listed.map((q) => q.queue);
  expect(names).toEqual(
    expect.arrayContaining([queue('alpha'), `${queue('alpha')}.dlq`, queue('beta'), `${queue('beta')}.dlq`]),
  );
  expect(names.some((n) => n.includes('.gamma.') || n.includes('.zeta.'))).toBe(false);
  expect(listed.find((q) => q.queue === `${queue('alpha')}.dlq`)).toMatchObject({
    role: 'dlq',
    messageCount: 1,
  });

  const human = await runBb(['dlq', 'list'], { env: env(rabbit.managementUrl as string) });
  expect(human.code, human.stderr).toBe(0);
  expect(human.stdout).toMatch(new RegExp(`${queue('beta').replaceAll('.', '\\.')}\\.dlq\\s+dlq\\s+0`));
});

it('says on stderr why it lists only command queues when the API does not answer, and still exits 0', async () => {
  const closed = `http://127.0.0.1:${await freePort()}`;
  const run = await runBb(['dlq', 'list', '--json'], { env: env(closed) });
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toContain(`the RabbitMQ management API at ${closed} did not answer (ECONNREFUSED)`);
  expect(run.stderr).toContain("listing the registry's command queues only");
  expect((JSON.parse(run.stdout) as Listed[]).some((q) => q.queue.startsWith(queue('alpha')))).toBe(false);
});

it('says the credentials were refused, without printing them', async () => {
  const url = new URL(rabbit.managementUrl as string);
  url.username = 'nobody';
  url.password = 's3cret-pw';
  const run = await runBb(['dlq', 'list', '--json'], { env: env(url.toString()) });
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toContain('answered 401: the credentials were refused');
  expect(run.stderr).not.toContain('s3cret-pw');
});

it('bb doctor checks the services the management API finds, and says when it cannot ask', async () => {
  interface Check {
    check: string;
    status: string;
    detail: string;
  }
  const run = await runBb(['doctor', '--json'], { env: env(rabbit.managementUrl as string) });
  const checks = new Map((JSON.parse(run.stdout) as Check[]).map((c) => [c.check, c]));
  expect(checks.get('management API')).toMatchObject({
    status: 'ok',
    detail: `2 queues with a dead-letter queue on ${exchange}`,
  });
  expect(checks.get('service alpha')).toMatchObject({ status: 'warn' });
  expect(checks.get('service alpha')?.detail).toContain('1 dead letter');
  expect(checks.get('service alpha')?.detail).toContain('inspect with bb dlq peek alpha');
  expect(checks.get('service beta')?.detail).toContain('0 dead letters');
  expect(checks.has('service gamma')).toBe(false);

  const closed = `http://127.0.0.1:${await freePort()}`;
  const without = await runBb(['doctor', '--json'], { env: env(closed) });
  const checked = new Map((JSON.parse(without.stdout) as Check[]).map((c) => [c.check, c]));
  expect(checked.get('management API')).toMatchObject({ status: 'skip' });
  expect(checked.get('management API')?.detail).toContain('ECONNREFUSED');
  expect(checked.has('service alpha')).toBe(false);
});

it('bb unbind removes a stale pattern from a service queue, checking it exists when the API answers', async () => {
  const admin = await createAdmin(rabbit.url);
  try {
    await admin.channel.bindQueue(queue('alpha'), exchange, 'stale.#');
    expect(await admin.routes(exchange, 'stale.thing')).toBe(true);

    const removed = await runBb(['unbind', 'alpha', 'stale.#'], { env: env(rabbit.managementUrl as string) });
    expect(removed).toMatchObject({
      code: 0,
      stdout: `unbound stale.# from ${queue('alpha')}; its bindings now: alpha.#\n`,
      stderr: '',
    });
    expect(await admin.routes(exchange, 'stale.thing')).toBe(false);
    expect(await admin.routes(exchange, 'alpha.thing')).toBe(true);

    const unknown = await runBb(['unbind', 'alpha', 'nothing.#'], {
      env: env(rabbit.managementUrl as string),
    });
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain(
      `${queue('alpha')} has no binding nothing.# from ${exchange}; its bindings: alpha.#`,
    );

    // Without the API it unbinds all the same, and says it could not check.
    const closed = `http://127.0.0.1:${await freePort()}`;
    const blind = await runBb(['unbind', 'beta', 'beta.#', '--json'], { env: env(closed) });
    expect(blind.code, blind.stderr).toBe(0);
    expect(blind.stderr).toContain('unbinding without checking');
    expect(JSON.parse(blind.stdout)).toEqual({
      queue: queue('beta'),
      exchange,
      pattern: 'beta.#',
      removed: null,
      remaining: null,
    });
    expect(await admin.routes(exchange, 'beta.thing')).toBe(false);

    expect((await runBb(['unbind', 'alpha', 'a..b'], { env: env(closed) })).code).toBe(2);
    const missing = await runBb(['unbind', 'no_such_service', 'x.#'], { env: env(closed) });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('does not exist');
  } finally {
    await admin.close();
  }
});
