/**
 * A private RabbitMQ node for tests that break things (DESIGN.md §8): its own node name, AMQP and
 * distribution ports, data and log directories and Erlang cookie, no plugins (only
 * `rabbitmq_management`, on a port of its own, when asked). Stopping or restarting it never touches the
 * shared broker on 5672. Also: small helpers to declare, read and delete test
 * exchanges and queues (on either broker).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage, type Options } from 'amqplib';

const BIN = existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server') ? '/usr/lib/rabbitmq/bin/' : '';

export interface PrivateRabbit {
  readonly node: string;
  readonly port: number;
  readonly url: string;
  /** With `{ management: true }`: the management API's base URL (guest/guest), else undefined. */
  readonly managementUrl: string | undefined;
  /** Stop the node (`rabbitmqctl -n <node> stop`) and wait for the process to exit. */
  stop(): Promise<void>;
  /**
   * Crash the node: SIGKILL its Erlang VM, at once (`stop()` goes through a CLI that takes seconds to
   * boot, too slow to land in the middle of a fast publish run). Confirmed quorum messages are on disk.
   */
  kill(): Promise<void>;
  /** Start it again on the same ports and data directory, and wait until it accepts AMQP. */
  start(): Promise<void>;
  /** `rabbitmqctl -n <node> …` */
  ctl(...args: string[]): Promise<string>;
  /** The environment its CLI tools need (private HOME with its cookie): `rabbitmqctl -n <node>` with it. */
  readonly env: NodeJS.ProcessEnv;
  /** The rabbitmqctl executable. */
  readonly rabbitmqctl: string;
  /** The node's queues, bindings and exchanges as `rabbitmqctl` lists them (for failure messages). */
  describe(): Promise<string>;
  /** Close the connections whose `connection_name` is `name` (server-side, 320 CONNECTION_FORCED). */
  closeConnectionsNamed(name: string, reason?: string): Promise<number>;
  /** Stop the node and delete its directory. */
  dispose(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface PrivateRabbitOptions {
  /** Enable `rabbitmq_management` on a port of its own (boots a few seconds slower). Default false. */
  readonly management?: boolean;
  /** Lines appended to its rabbitmq.conf (a TLS listener, …); may use the node's directory as `{dir}`. */
  readonly config?: string;
  /** Further plugins to enable (`rabbitmq_mqtt`, with its listener set in `config`). */
  readonly plugins?: readonly string[];
}

export async function startPrivateRabbit(options: PrivateRabbitOptions = {}): Promise<PrivateRabbit> {
  const suffix = randomBytes(4).toString('hex');
  const node = `bbtest-${suffix}@localhost`;
  const dir = await mkdtemp(join(tmpdir(), `bbtest-rabbit-${suffix}-`));
  const port = await freePort();
  const distPort = await freePort();
  const cookie = join(dir, '.erlang.cookie');
  await writeFile(cookie, randomBytes(16).toString('hex').toUpperCase());
  await chmod(cookie, 0o400);
  const managementPort = options.management ? await freePort() : 0;
  const plugins = [...(options.management ? ['rabbitmq_management'] : []), ...(options.plugins ?? [])];
  await writeFile(join(dir, 'enabled_plugins'), `[${plugins.join(',')}].\n`);
  await writeFile(
    join(dir, 'rabbitmq.conf'),
    (options.management ? `management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = ${managementPort}\n` : '') +
      (options.config ? `${options.config.replaceAll('{dir}', dir)}\n` : ''),
  );
  await writeFile(join(dir, 'rabbitmq-env.conf'), '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  delete env['RABBITMQ_SERVER_START_ARGS'];
  let child: ChildProcess | null = null;
  let beamPid = 0;
  let exited: Promise<void> = Promise.resolve();

  const ctl = (...args: string[]) => run(`${BIN}rabbitmqctl`, ['-n', node, ...args], env);

  const start = async (): Promise<void> => {
    const proc = spawn(`${BIN}rabbitmq-server`, [], { env, stdio: 'ignore', detached: false });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null)
        throw new Error(`private rabbit ${node} exited (${proc.exitCode}); logs in ${dir}/log`);
      if (await answers(port)) {
        await ctl('await_startup', '--timeout', '60');
        beamPid = Number((await ctl('eval', 'list_to_integer(os:getpid()).')).trim());
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`private rabbit ${node} did not start within 60 s; logs in ${dir}/log`);
  };

  const stop = async (): Promise<void> => {
    if (!child || child.exitCode !== null) return;
    await ctl('stop').catch(() => {
      child?.kill('SIGTERM');
    });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };

  const kill = async (): Promise<void> => {
    if (!child || child.exitCode !== null) return;
    if (beamPid > 0) process.kill(beamPid, 'SIGKILL');
    else child.kill('SIGKILL');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  };

  await start();
  return {
    node,
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    managementUrl: options.management ? `http://127.0.0.1:${managementPort}` : undefined,
    stop,
    kill,
    start,
    ctl,
    env,
    rabbitmqctl: `${BIN}rabbitmqctl`,
    async describe() {
      const list = (...args: string[]) =>
        ctl(...args, '--no-table-headers', '--silent').catch((error: Error) => error.message);
      return [
        `queues (name messages state):\n${await list('list_queues', 'name', 'messages', 'state')}`,
        `bindings:\n${await list('list_bindings', 'source_name', 'destination_name', 'routing_key')}`,
        `exchanges:\n${await list('list_exchanges', 'name', 'type', 'durable')}`,
      ].join('\n');
    },
    async closeConnectionsNamed(name, reason = 'closed by test') {
      const out = await ctl(
        'list_connections',
        '--no-table-headers',
        '--silent',
        'pid',
        'name',
        'client_properties',
      );
      const pids = out
        .split('\n')
        .filter((line) => line.includes(`{"connection_name","${name}"}`))
        .map((line) => line.split('\t')[0] ?? '')
        .filter((pid) => pid.startsWith('<'));
      for (const pid of pids) await ctl('close_connection', pid, reason);
      return pids.length;
    },
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/* ---------- declare, read and delete test exchanges and queues ---------- */

export const SHARED_URL = process.env['RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

export function uniqueName(prefix: string): string {
  return `bbtest.${prefix}.${randomBytes(4).toString('hex')}`;
}

export interface Admin {
  readonly channel: Channel;
  declare(
    exchange: string,
    queue: string,
    pattern?: string,
    args?: Options.AssertQueue['arguments'],
  ): Promise<void>;
  depth(queue: string): Promise<number>;
  /**
   * Publish one mandatory, confirmed probe (a JSON body with `event_id` `probe-…`) to `exchange` and
   * say whether the broker routed it (false: it came back as basic.return).
   */
  routes(exchange: string, routingKey: string): Promise<boolean>;
  /** Read (and ack) everything in a queue until `expected` messages came or it stayed empty for `idleMs`. */
  drain(queue: string, expected: number, idleMs?: number): Promise<ConsumeMessage[]>;
  cleanup(): Promise<void>;
  close(): Promise<void>;
}

export async function createAdmin(url = SHARED_URL): Promise<Admin> {
  const connection: ChannelModel = await amqp.connect(url);
  connection.on('error', () => undefined);
  let channel = await connection.createChannel();
  const exchanges = new Set<string>();
  const queues = new Set<string>();
  const fresh = async () => {
    channel = await connection.createChannel();
    channel.on('error', () => undefined);
  };
  channel.on('error', () => undefined);
  return {
    get channel() {
      return channel;
    },
    async declare(exchange, queue, pattern = '#', args) {
      await channel.assertExchange(exchange, 'topic', { durable: true });
      exchanges.add(exchange);
      await channel.assertQueue(queue, { durable: true, ...(args ? { arguments: args } : {}) });
      queues.add(queue);
      await channel.bindQueue(queue, exchange, pattern);
    },
    async depth(queue) {
      return (await channel.checkQueue(queue)).messageCount;
    },
    async routes(exchange, routingKey) {
      const ch = await connection.createConfirmChannel();
      try {
        let returned = false;
        ch.on('return', () => {
          returned = true;
        });
        const body = Buffer.from(JSON.stringify({ event_id: `probe-${randomBytes(4).toString('hex')}` }));
        await new Promise<void>((resolve, reject) =>
          ch.publish(exchange, routingKey, body, { mandatory: true }, (error) =>
            error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(),
          ),
        );
        // basic.return precedes basic.ack for the same message on the channel.
        return !returned;
      } finally {
        await ch.close().catch(() => undefined);
      }
    },
    async drain(queue, expected, idleMs = 1_000) {
      const ch = await connection.createChannel();
      await ch.prefetch(1000);
      const got: ConsumeMessage[] = [];
      await new Promise<void>((resolve) => {
        let idle = setTimeout(resolve, idleMs);
        void ch.consume(queue, (msg) => {
          if (!msg) return;
          got.push(msg);
          ch.ack(msg);
          clearTimeout(idle);
          if (got.length >= expected) resolve();
          else idle = setTimeout(resolve, idleMs);
        });
      });
      await ch.close().catch(() => undefined);
      return got;
    },
    async cleanup() {
      await fresh().catch(() => undefined);
      for (const q of queues) await channel.deleteQueue(q).catch(fresh);
      for (const e of exchanges) await channel.deleteExchange(e).catch(fresh);
      queues.clear();
      exchanges.clear();
    },
    async close() {
      await connection.close().catch(() => undefined);
    },
  };
}
