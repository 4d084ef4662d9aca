/**
 * The services check answers at the protocol level: a listener that accepts TCP but never speaks (a
 * wedged broker: out of sockets, frozen) is reported, by scripts/services.sh and by the test run's global
 * setup, instead of letting every test hang until its timeout. The silent listener is our own, on a free
 * port; the shared services are only probed, never restarted (the script's --revive is for CI and refuses
 * a port other than the shared broker's).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import setup from '../global-setup.js';
import { freePort } from '../support/private-rabbit.js';
import { runCommand } from '../support/run-command.js';

const FAKE = join('test', 'fixtures', 'services', 'fake-amqp.mjs');

let silent: Server;
let port = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  port = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

const services = (env: Record<string, string>, ...args: string[]) =>
  runCommand('bash', ['scripts/services.sh', ...args], { ...process.env, ...env });

describe('scripts/services.sh', () => {
  it('passes when the shared RabbitMQ and Redis answer their protocols', async () => {
    const run = await services({});
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('services: RabbitMQ and Redis answer');
    expect(run.code).toBe(0);
  });

  it('reports a broker that accepts TCP but does not answer AMQP, and --revive leaves a test port alone', async () => {
    for (const args of [[], ['--revive']]) {
      const run = await services({ SERVICES_RABBIT_PORT: String(port), SERVICES_PATIENCE_S: '2' }, ...args);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `RabbitMQ accepts TCP on ${port} but does not answer the AMQP protocol header`,
      );
      expect(run.stderr).toContain('rabbitmqctl stop; rabbitmq-server -detached');
      expect(run.stderr).not.toContain('restarting');
      expect(run.stdout).not.toContain('RabbitMQ and Redis answer');
    }
  }, 180_000);

  it('warns when the broker runs with a soft limit of 1,024 descriptors, and says how to raise it', async () => {
    // A stand-in that answers AMQP, started with 1,024 as both limits (node cannot raise its own then).
    const answering = await freePort();
    const child = spawn(
      'bash',
      ['-c', `ulimit -n 1024; exec ${process.execPath} ${FAKE} answer ${answering}`],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout?.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`the stand-in exited (${code})`)));
      });
      const run = await services({ SERVICES_RABBIT_PORT: String(answering) });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('services: RabbitMQ and Redis answer');
      expect(run.stdout).toContain(
        'services: warning: RabbitMQ runs with a soft limit of 1024 file descriptors',
      );
      expect(run.stdout).toContain(`Add 'ulimit -S -n "$(ulimit -H -n)"' to /etc/rabbitmq/rabbitmq-env.conf`);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('reports something on the Redis port that does not answer PING; --revive leaves a test port alone', async () => {
    for (const args of [[], ['--revive']]) {
      const run = await services({ SERVICES_REDIS_PORT: String(port), SERVICES_PATIENCE_S: '2' }, ...args);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`something holds port ${port} but does not answer PING`);
      expect(run.stderr).not.toContain('killing');
    }
  }, 120_000);
});

describe('the test run’s global setup', () => {
  it('resolves when both services answer', async () => {
    await expect(setup()).resolves.toBeUndefined();
  });

  it('refuses to start, naming the service, when the broker port is silent', async () => {
    const saved = process.env['RABBIT_URL'];
    process.env['RABBIT_URL'] = `amqp://guest:guest@127.0.0.1:${port}`;
    try {
      await expect(setup()).rejects.toThrow(
        new RegExp(`RabbitMQ does not answer at 127\\.0\\.0\\.1:${port} \\(.*\\).*wedged`),
      );
    } finally {
      if (saved === undefined) delete process.env['RABBIT_URL'];
      else process.env['RABBIT_URL'] = saved;
    }
  });
});
