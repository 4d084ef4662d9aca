/**
 * A private three-node RabbitMQ cluster on loopback ports (DESIGN.md §7, §8): per node its own name,
 * AMQP and distribution ports, data and log directories and a private HOME holding the cluster's one
 * Erlang cookie; no plugins; an absolute memory watermark (each node would otherwise assume 40 % of the
 * machine). Nodes 2 and 3 `join_cluster` node 1. The shared broker on 5672 is never touched.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from './private-rabbit.js';

const BIN = existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server') ? '/usr/lib/rabbitmq/bin/' : '';

export interface ClusterNode {
  /** `bbc<suffix>-<n>@localhost` */
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** True while its Erlang VM runs. */
  readonly running: boolean;
  /** SIGKILL the node's Erlang VM at once and wait for the process to exit. */
  kill(): Promise<void>;
  /** Start it again on the same ports and data (it rejoins the cluster) and wait until it booted. */
  start(): Promise<void>;
  /** `rabbitmqctl -n <node> …` */
  ctl(...args: string[]): Promise<string>;
}

export interface PrivateCluster {
  readonly nodes: readonly ClusterNode[];
  /** Every node's URL, comma-separated, starting at node `first` (what `RABBIT_URL` takes). */
  urls(first?: number): string;
  /** The node whose AMQP port is in `url` (redacted or not). */
  nodeOf(url: string): ClusterNode;
  /** The node leading quorum queue `queue` (asked of a running node). */
  leaderOf(queue: string): Promise<ClusterNode>;
  /** Stop every node and delete the directories. */
  dispose(): Promise<void>;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000) {
  return new Promise<string>((resolve, reject) => {
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

async function createNode(root: string, suffix: string, n: number, cookie: string): Promise<ClusterNode> {
  const name = `bbc${suffix}-${n}@localhost`;
  const dir = join(root, `node${n}`);
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const distPort = await freePort();
  const cookieFile = join(dir, '.erlang.cookie');
  await writeFile(cookieFile, cookie);
  await chmod(cookieFile, 0o400);
  await writeFile(join(dir, 'enabled_plugins'), '[].\n');
  await writeFile(
    join(dir, 'rabbitmq.conf'),
    ['vm_memory_high_watermark.absolute = 512MiB', 'disk_free_limit.absolute = 50MB', ''].join('\n'),
  );
  await writeFile(join(dir, 'rabbitmq-env.conf'), '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: name,
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
  let exited: Promise<void> = Promise.resolve();
  let beamPid = 0;
  const ctl = (...args: string[]) => run(`${BIN}rabbitmqctl`, ['-n', name, ...args], env);

  const node: ClusterNode = {
    name,
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    get running() {
      return child !== null && child.exitCode === null && child.signalCode === null;
    },
    ctl,
    async start() {
      const proc = spawn(`${BIN}rabbitmq-server`, [], { env, stdio: 'ignore' });
      child = proc;
      exited = new Promise((resolve) => proc.once('exit', () => resolve()));
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`cluster node ${name} exited; logs in ${dir}/log`);
        if (await answers(port)) {
          await ctl('await_startup', '--timeout', '120');
          beamPid = Number((await ctl('eval', 'list_to_integer(os:getpid()).')).trim());
          return;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`cluster node ${name} did not start within 120 s; logs in ${dir}/log`);
    },
    async kill() {
      const proc = child;
      if (!proc || proc.exitCode !== null) return;
      if (beamPid > 0) process.kill(beamPid, 'SIGKILL');
      else proc.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    await ctl('stop').catch(() => proc.kill('SIGTERM'));
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  };
  stops.set(node, stop);
  return node;
}

const stops = new WeakMap<ClusterNode, () => Promise<void>>();

/** Start three nodes and join them into one cluster. Call `dispose()` in `afterAll`, whatever happens. */
export async function startPrivateCluster(): Promise<PrivateCluster> {
  const suffix = randomBytes(3).toString('hex');
  const root = await mkdtemp(join(tmpdir(), `bbtest-cluster-${suffix}-`));
  const cookie = randomBytes(16).toString('hex').toUpperCase();
  const nodes = [
    await createNode(root, suffix, 1, cookie),
    await createNode(root, suffix, 2, cookie),
    await createNode(root, suffix, 3, cookie),
  ];
  const dispose = async () => {
    await Promise.all(nodes.map((n) => stops.get(n)?.()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
    const [first, ...others] = nodes as [ClusterNode, ...ClusterNode[]];
    for (const n of others) {
      await n.ctl('stop_app');
      await n.ctl('join_cluster', first.name);
      await n.ctl('start_app');
    }
    const status = await first.ctl('cluster_status', '--formatter', 'json');
    const running = (JSON.parse(status) as { running_nodes?: string[] }).running_nodes ?? [];
    if (running.length !== 3) throw new Error(`cluster did not form: running nodes ${running.join(', ')}`);
  } catch (error) {
    await dispose();
    throw error;
  }

  const nodeOf = (url: string): ClusterNode => {
    const port = Number(/:(\d+)(?:[/?]|$)/.exec(url)?.[1]);
    const found = nodes.find((n) => n.port === port);
    if (!found) throw new Error(`no cluster node listens on the port of ${url}`);
    return found;
  };
  return {
    nodes,
    urls: (first = 0) => [...nodes.slice(first), ...nodes.slice(0, first)].map((n) => n.url).join(','),
    nodeOf,
    async leaderOf(queue) {
      const asker = nodes.find((n) => n.running);
      if (!asker) throw new Error('no cluster node is running');
      const out = await asker.ctl('list_queues', 'name', 'leader', '--no-table-headers', '--silent');
      const line = out.split('\n').find((l) => l.split('\t')[0] === queue);
      const leader = line?.split('\t')[1]?.trim();
      const found = nodes.find((n) => n.name === leader);
      if (!found) throw new Error(`no leader found for ${queue} in:\n${out}`);
      return found;
    },
    dispose,
  };
}
