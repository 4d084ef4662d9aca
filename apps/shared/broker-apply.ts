/**
 * Applying broker definitions (broker-definitions.ts) to a RabbitMQ node: read what the node has, show
 * the plan (users, permissions, topic permissions, the exchange to create or change), then import.
 *
 * Two ways in: the management HTTP API (`GET` / `POST /api/definitions`) when it answers, else
 * `rabbitmqctl export_definitions` / `import_definitions`. Importing merges: users and permissions not in
 * the policy are left alone (the plan says so).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ManagementApi } from 'bloodbank/amqp/management.js';
import type { RabbitDefinitions } from './broker-definitions.js';

/** Where definitions are read from and imported to. */
export interface DefinitionsTarget {
  /** `management API at http://…` or `rabbitmqctl -n …`: for the plan's first line. */
  readonly describe: string;
  export(): Promise<Partial<RabbitDefinitions>>;
  import(definitions: RabbitDefinitions): Promise<void>;
}

export function managementTarget(api: ManagementApi): DefinitionsTarget {
  const request = async (method: 'GET' | 'POST', body?: unknown): Promise<unknown> => {
    const response = await fetch(`${api.baseUrl}/api/definitions`, {
      method,
      headers: { authorization: api.authorization, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(15_000),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok)
      throw new Error(
        `the management API at ${api.baseUrl} answered ${method} /api/definitions with ${response.status}: ${await response.text()}`,
      );
    return method === 'GET' ? ((await response.json()) as unknown) : undefined;
  };
  return {
    describe: `management API at ${api.baseUrl}`,
    export: async () => (await request('GET')) as Partial<RabbitDefinitions>,
    import: async (definitions) => void (await request('POST', definitions)),
  };
}

export interface RabbitmqctlOptions {
  /** The rabbitmqctl executable (default `rabbitmqctl`). */
  readonly command?: string;
  /** `-n <node>` when given. */
  readonly node?: string;
  /** Environment of the command (a private node's HOME holding its cookie). */
  readonly env?: NodeJS.ProcessEnv;
}

export function rabbitmqctlTarget(options: RabbitmqctlOptions = {}): DefinitionsTarget {
  const command = options.command ?? 'rabbitmqctl';
  const node = options.node ? ['-n', options.node] : [];
  const run = async (...args: string[]) => {
    try {
      return (
        await promisify(execFile)(command, [...node, ...args], {
          env: options.env ?? process.env,
          maxBuffer: 64 * 1024 * 1024,
        })
      ).stdout;
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`${command} ${args[0] ?? ''} failed: ${(e.stderr ?? e.message).trim()}`, {
        cause: error,
      });
    }
  };
  const withFile = async <T>(use: (file: string) => Promise<T>): Promise<T> => {
    const dir = await mkdtemp(join(tmpdir(), 'bb-definitions-'));
    try {
      return await use(join(dir, 'definitions.json'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  return {
    describe: `${command}${options.node ? ` -n ${options.node}` : ''}`,
    export: () =>
      withFile(async (file) => {
        await run('export_definitions', file, '--format', 'json');
        return JSON.parse(await readFile(file, 'utf8')) as Partial<RabbitDefinitions>;
      }),
    import: (definitions) =>
      withFile(async (file) => {
        await writeFile(file, JSON.stringify(definitions), { mode: 0o600 });
        await run('import_definitions', file, '--format', 'json');
      }),
  };
}

/** What applying `wanted` to a node holding `current` changes, one line each (`+` new, `~` changed). */
export function planDefinitions(
  wanted: RabbitDefinitions,
  current: Partial<RabbitDefinitions>,
  samePassword: (currentHash: string, service: string) => boolean,
): string[] {
  const plan: string[] = [];
  for (const v of wanted.vhosts)
    if (!(current.vhosts ?? []).some((c) => c.name === v.name)) plan.push(`+ vhost ${v.name}`);
  for (const x of wanted.exchanges) {
    const c = (current.exchanges ?? []).find((e) => e.name === x.name && e.vhost === x.vhost);
    if (!c) plan.push(`+ exchange ${x.name} (${x.type}, durable) on ${x.vhost}`);
    else if (c.type !== x.type || c.durable !== x.durable)
      plan.push(
        `! exchange ${x.name} exists as ${c.type}${c.durable ? ', durable' : ''}: the import will fail`,
      );
  }
  for (const u of wanted.users) {
    const c = (current.users ?? []).find((e) => e.name === u.name);
    if (!c) plan.push(`+ user ${u.name}`);
    else if (!samePassword(c.password_hash, u.name)) plan.push(`~ user ${u.name}: new password`);
  }
  for (const p of wanted.permissions) {
    const c = (current.permissions ?? []).find((e) => e.user === p.user && e.vhost === p.vhost);
    const rights = (['configure', 'write', 'read'] as const).filter((r) => !c || c[r] !== p[r]);
    if (rights.length > 0)
      plan.push(
        `${c ? '~' : '+'} permissions of ${p.user} on ${p.vhost}: ${rights.map((r) => `${r} ${p[r]}`).join(', ')}`,
      );
  }
  for (const t of wanted.topic_permissions) {
    const c = (current.topic_permissions ?? []).find(
      (e) => e.user === t.user && e.vhost === t.vhost && e.exchange === t.exchange,
    );
    const rights = (['write', 'read'] as const).filter((r) => !c || c[r] !== t[r]);
    if (rights.length > 0)
      plan.push(
        `${c ? '~' : '+'} topic permissions of ${t.user} on ${t.exchange}: ${rights.map((r) => `${r} ${t[r]}`).join(', ')}`,
      );
  }
  return plan;
}
