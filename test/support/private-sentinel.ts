/**
 * A private Redis with Sentinel on loopback ports (DESIGN.md §7, §8): one master, one replica and three
 * Sentinels (`redis-server sentinel.conf --sentinel`, `down-after-milliseconds 1000`), children of the
 * test process, in a directory of their own. The shared Redis on 6379 is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './private-redis.js';

export const SENTINEL_MASTER_NAME = 'bbtestmaster';

export interface RedisServer {
  readonly port: number;
  readonly running: boolean;
  /** SIGKILL, and wait for the process to exit. */
  kill(): Promise<void>;
}

export interface PrivateSentinel {
  readonly master: RedisServer;
  readonly replica: RedisServer;
  readonly sentinels: ReadonlyArray<{ host: string; port: number }>;
  readonly name: string;
  /** The port of the master the Sentinels (or Sentinel `only`) currently name. */
  masterPort(only?: number): Promise<number>;
  /** The Sentinels' logs (for a failure message). */
  logs(): Promise<string>;
  dispose(): Promise<void>;
}

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`private sentinel: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A one-off command against a port (a fresh client each time: it must not retry on its own). */
async function ask(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [command, ...rest] = args as [string, ...string[]];
    return await client.call(command, ...rest);
  } finally {
    client.disconnect();
  }
}

function launch(args: string[], children: ChildProcess[]): ChildProcess {
  const proc = spawn('redis-server', args, { stdio: 'ignore' });
  children.push(proc);
  process.once('exit', () => proc.kill('SIGKILL'));
  return proc;
}

function server(port: number, proc: ChildProcess): RedisServer {
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    port,
    get running() {
      return proc.exitCode === null && proc.signalCode === null;
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
/** The replica writes the RDB it syncs from into its `dir`: keep it in the private directory. */
const inDir = (dir: string) => ['--dir', dir];

/**
 * Starts the five processes and waits until the replica is in sync and every Sentinel knows the replica
 * and the two other Sentinels (so that a failover can be agreed on). Call `dispose()` in `afterAll`.
 */
export async function startPrivateSentinel(): Promise<PrivateSentinel> {
  const dir = await mkdtemp(join(tmpdir(), 'bbtest-sentinel-'));
  const children: ChildProcess[] = [];
  const dispose = async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await mkdir(join(dir, 'master'));
    await mkdir(join(dir, 'replica'));
    const masterPort = await freePort();
    const replicaPort = await freePort();
    const master = server(
      masterPort,
      launch(['--port', String(masterPort), ...common, ...inDir(join(dir, 'master'))], children),
    );
    const replica = server(
      replicaPort,
      launch(
        [
          '--port',
          String(replicaPort),
          '--replicaof',
          '127.0.0.1',
          String(masterPort),
          ...common,
          ...inDir(dir),
        ],
        children,
      ),
    );
    await waitFor('the replica in sync', async () =>
      String(await ask(replicaPort, 'INFO', 'replication')).includes('master_link_status:up'),
    );
    const sentinels: Array<{ host: string; port: number }> = [];
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      const file = join(dir, `sentinel-${i}.conf`);
      // The file must be writable: a Sentinel rewrites it with what it learns.
      await writeFile(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `logfile ${join(dir, `sentinel-${i}.log`)}`,
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 10000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      launch([file, '--sentinel'], children);
      sentinels.push({ host: '127.0.0.1', port });
    }
    for (const s of sentinels) {
      await waitFor(`sentinel ${s.port} to know the replica and the other sentinels`, async () => {
        const replicas = (await ask(s.port, 'SENTINEL', 'REPLICAS', SENTINEL_MASTER_NAME)) as unknown[];
        const others = (await ask(s.port, 'SENTINEL', 'SENTINELS', SENTINEL_MASTER_NAME)) as unknown[];
        return replicas.length === 1 && others.length === 2;
      });
    }
    return {
      master,
      replica,
      sentinels,
      name: SENTINEL_MASTER_NAME,
      async masterPort(only?: number) {
        for (const s of only === undefined ? sentinels : sentinels.slice(only, only + 1)) {
          try {
            const addr = (await ask(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME)) as
              string[] | null;
            if (addr) return Number(addr[1]);
          } catch {
            // that Sentinel is busy or away: ask the next
          }
        }
        throw new Error('no Sentinel answered');
      },
      async logs() {
        const parts = await Promise.all(
          sentinels.map((_, i) => readFile(join(dir, `sentinel-${i}.log`), 'utf8').catch(() => '')),
        );
        return parts.map((text, i) => `--- sentinel ${i}\n${text}`).join('\n');
      },
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** `ROLE` of the server on `port`: `master` or `slave`. */
export async function roleOf(port: number): Promise<string> {
  const role = (await ask(port, 'ROLE')) as unknown[];
  return String(role[0]);
}

/** A plain command against one server (to read what the promoted replica holds). */
export { ask as askRedis };
