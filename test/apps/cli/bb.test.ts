/**
 * `bb` end to end: the built binary against the real RabbitMQ and Redis, each test on its own exchange.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registry } from '../../../generated/registry.js';
import { deleteTopology, ensureCliBuilt, runBb, spawnBb, uniqueExchange } from './support.js';

const exchanges: string[] = [];
function exchange(name: string): Record<string, string> {
  const ex = uniqueExchange(name);
  exchanges.push(ex);
  // These tests run `bb serve …` on throwaway exchanges: no history stream to leave behind.
  return { EXCHANGE_NAME: ex, BLOODBANK_HISTORY: 'off' };
}

// Every test spawns several `bb` processes; on a busy machine one start can take seconds. The caps below are
// there to end a hang, never to measure speed: each test waits for what it checks.
vi.setConfig({ testTimeout: 240_000 });
beforeAll(() => ensureCliBuilt(), 300_000);
afterAll(async () => {
  for (const ex of exchanges) await deleteTopology(ex).catch(() => {});
});

interface TailLine {
  event_type: string;
  event_id: string;
  causation_ids: string[];
  envelope: { correlation_ids: string[]; payload: Record<string, unknown>; source: { app: string } };
}
const lines = (text: string): TailLine[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TailLine);

describe('bb catalogue', () => {
  // Start-up time is measured by `npm run bench -- cli`, not asserted here.
  it('--help exits 0 and every command shows an example', async () => {
    const help = await runBb(['--help']);
    expect(help.code).toBe(0);
    const commands = [
      'list-events',
      'list-commands',
      'show',
      'publish',
      'id',
      'publish-prompt',
      'wrap',
      'tail',
      'trace',
      'watch',
      'dlq',
      'doctor',
      'unbind',
      'serve',
      'mcp',
      'tui',
    ];
    for (const c of commands) expect(help.stdout).toContain(c);
    for (const c of commands) {
      const r = await runBb([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(/Example/);
    }
  });

  it('list-events --json is the registry, filters by domain and kind, and rejects an unknown domain', async () => {
    const all = await runBb(['list-events', '--json']);
    expect(all.code).toBe(0);
    expect((JSON.parse(all.stdout) as { event_type: string }[]).map((e) => e.event_type)).toEqual(
      registry.list().map((d) => d.key),
    );
    const llm = JSON.parse((await runBb(['list-events', '--domain', 'llm', '--json'])).stdout) as {
      domain: string;
    }[];
    expect(llm.length).toBeGreaterThan(0);
    expect(llm.every((e) => e.domain === 'llm')).toBe(true);
    const commands = JSON.parse((await runBb(['list-commands', '--json'])).stdout) as {
      event_type: string;
      reply_type: string;
    }[];
    expect(commands.map((c) => c.event_type)).toEqual(registry.listCommands().map((c) => c.key));
    expect(commands[0]?.reply_type).toBe('agent.thread.response');
    const unknown = await runBb(['list-events', '--domain', 'nope']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/unknown domain "nope" \(domains: agent/);
    const badKind = await runBb(['list-events', '--kind', 'fact']);
    expect(badKind.code).toBe(2);
  });

  it('show prints schema, example, kind, reply and failure types; unknown types exit 4', async () => {
    const text = await runBb(['show', 'agent.thread.prompt']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/reply: +agent\.thread\.response/);
    expect(text.stdout).toMatch(/failure: +agent\.thread\.error/);
    expect(text.stdout).toContain('"additionalProperties": false');
    const json = JSON.parse((await runBb(['show', 'llm.prompt', '--json'])).stdout) as {
      schema: object;
      examples: unknown[];
      kind: string;
    };
    expect(json.kind).toBe('event');
    expect(json.examples.length).toBeGreaterThan(0);
    const unknown = await runBb(['show', 'llm.promptt']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/unknown event type "llm\.promptt".*bb list-events/);
  });

  it.each([
    [
      'github.pr.created',
      ['repo_owner=delorenj', 'repo_name=trinote', 'pr_number=423'],
      '22fe9282-8389-5e39-adeb-84fa16ae582b',
    ],
    [
      'fireflies.transcript.upload',
      ['user_id=u1', 'file_path=/a/b.mp3'],
      '85e4c836-0b8c-5643-b48c-48a5451472ab',
    ],
    [
      'artifact.created',
      ['uri=file:///x', 'flag=True', 'n=None', 'd=1.0'],
      'eecfe20f-d9fa-5791-8473-85b8cc4f336f',
    ],
  ])('id %s gives the original’s deterministic id', async (type, fields, want) => {
    const r = await runBb(['id', type, ...fields]);
    expect(r).toMatchObject({ code: 0, stdout: `${want}\n` });
  });
});

describe('bb publish, tail, trace', () => {
  it('publish then tail receives it, with the printed event_id', async () => {
    const env = exchange('tail');
    const tail = spawnBb(['tail', 'llm.#', '--json', '--count', '1', '--timeout', '20'], { env });
    await tail.waitFor(/listening on/, 'stderr');
    const pub = await runBb(['publish', 'llm.prompt', '--mock', '--seed', '7'], { env });
    expect(pub.code, pub.stderr).toBe(0);
    const eventId = pub.stdout.trim();
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    const result = await tail.done;
    expect(result.code).toBe(0);
    const [line] = lines(result.stdout);
    expect(line).toMatchObject({ event_type: 'llm.prompt', event_id: eventId });
    expect(line?.envelope.source.app).toBe('bloodbank-cli');

    const human = spawnBb(['tail', '--count', '1', '--timeout', '20'], { env });
    await human.waitFor(/listening on/, 'stderr');
    const again = await runBb(
      ['publish', 'artifact.created', '--data', '{"kind":"file","uri":"file:///tmp/x"}'],
      { env },
    );
    expect(again.code, again.stderr).toBe(0);
    const out = (await human.done).stdout;
    expect(out).toMatch(
      new RegExp(
        `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  artifact\\.created  ${again.stdout.trim()}  \\{.*"uri":"file:///tmp/x"`,
      ),
    );
  });

  it('publishes from stdin and a file, with a deterministic id from --id-key', async () => {
    const env = exchange('sources');
    const dir = mkdtempSync(join(tmpdir(), 'bb-pub-'));
    try {
      const file = join(dir, 'p.json');
      writeFileSync(file, JSON.stringify({ kind: 'file', uri: 'file:///x' }));
      const fromFile = await runBb(
        ['publish', 'artifact.created', '--file', file, '--id-key', 'uri=file:///x', '--allow-unroutable'],
        { env },
      );
      expect(fromFile.code, fromFile.stderr).toBe(0);
      const want = (await runBb(['id', 'artifact.created', 'uri=file:///x'])).stdout;
      expect(fromFile.stdout).toBe(want);
      const fromStdin = await runBb(['publish', 'artifact.created', '-', '--allow-unroutable', '--json'], {
        env,
        input: JSON.stringify({ kind: 'file', uri: 'file:///y' }),
      });
      expect(fromStdin.code, fromStdin.stderr).toBe(0);
      expect(JSON.parse(fromStdin.stdout)).toMatchObject({
        event_type: 'artifact.created',
        payload: { uri: 'file:///y', metadata: {} },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('publish --via http goes through the gateway with the key, parents and idempotency key', async () => {
    const env = exchange('http');
    const port = String(20_000 + Math.floor(Math.random() * 20_000));
    const gateway = spawnBb(['serve', 'gateway', '--host', '127.0.0.1', '--port', port], {
      env: { ...env, BLOODBANK_API_KEYS: 'k1=llm.*' },
      timeoutMs: 180_000,
    });
    const tail = spawnBb(['tail', 'llm.#', '--json', '--count', '1', '--timeout', '30'], { env });
    try {
      await gateway.waitFor(/gateway listening on/, 'stderr', 120_000);
      await tail.waitFor(/listening on/, 'stderr');
      const parent = '3f0c1e9a-5b7d-4c2e-9a81-0d6f2b4c8e17';
      const via = { ...env, BLOODBANK_URL: `http://127.0.0.1:${port}`, BLOODBANK_API_KEY: 'k1' };
      const pub = await runBb(
        ['publish', 'llm.prompt', '--mock', '--via', 'http', '--parent', parent, '--id-key', 'a=1'],
        { env: via },
      );
      expect(pub.code, pub.stderr).toBe(0);
      expect(pub.stdout).toBe((await runBb(['id', 'llm.prompt', 'a=1'])).stdout);
      const [line] = lines((await tail.done).stdout);
      expect(line).toMatchObject({ event_id: pub.stdout.trim(), causation_ids: [parent] });
      const refused = await runBb(['publish', 'artifact.created', '--mock', '--via', 'http'], { env: via });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/gateway refused the request \(403\).*BLOODBANK_API_KEY/);
    } finally {
      await tail.stop();
      await gateway.stop();
    }
  }, 240_000);

  it('publish-prompt --wait prints the command processor’s reply; without a processor it says what to start', async () => {
    const env = exchange('prompt');
    const none = await runBb(['publish-prompt', 'echo', 'hi', '--wait'], { env });
    expect(none.code).toBe(6);
    expect(none.stderr).toMatch(/no command processor handles it.*bb serve commands/);
    const processor = spawnBb(['serve', 'commands'], { env, timeoutMs: 180_000 });
    try {
      await processor.waitFor(/command processor running: agent\.thread\.prompt/, 'stderr', 120_000);
      const r = await runBb(['publish-prompt', 'echo', 'hello there', '--wait', '--timeout', '20'], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('Echoing your prompt: hello there\n');
      expect(r.stderr).toMatch(/agent\.thread\.response \S+ answered \S+/);
    } finally {
      await processor.stop();
    }
    const queue = `${env['EXCHANGE_NAME']}.commands.agent.thread.prompt`;
    await deleteTopology(env['EXCHANGE_NAME'] as string, [
      queue,
      `${queue}.dlq`,
      ...[1000, 5000, 30000, 120000].map((d) => `${queue}.retry.${d}`),
    ]).catch(() => {});
  }, 240_000);

  it('trace draws the chain built with --parent, both ways', async () => {
    const env = exchange('trace');
    const publish = async (parent?: string) => {
      const r = await runBb(
        ['publish', 'llm.prompt', '--mock', '--allow-unroutable', ...(parent ? ['--parent', parent] : [])],
        { env },
      );
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    const a = await publish();
    const b = await publish(a);
    const c = await publish(b);
    const d = await publish(a);

    const up = await runBb(['trace', c, '--direction', 'ancestors', '--json']);
    expect(up.code, up.stderr).toBe(0);
    const tree = JSON.parse(up.stdout) as {
      workflow_id: string;
      ancestors: { event_id: string; children: { event_id: string; children: { event_id: string }[] }[] };
    };
    expect(tree.workflow_id).toBe(a);
    expect(tree.ancestors.event_id).toBe(c);
    expect(tree.ancestors.children[0]?.event_id).toBe(b);
    expect(tree.ancestors.children[0]?.children[0]?.event_id).toBe(a);

    const down = await runBb(['trace', a, '--direction', 'descendants']);
    expect(down.code, down.stderr).toBe(0);
    const [first, second] = [b, d].sort();
    const drawn = down.stdout.split('\n').filter((l) => /[0-9a-f]{8}-/.test(l) && !l.startsWith('workflow'));
    expect(drawn[0]?.trim()).toBe(a);
    expect(down.stdout).toContain(`├── ${first}  llm.prompt`);
    expect(down.stdout).toContain(`└── ${second}  llm.prompt`);
    if (first === b) expect(down.stdout).toContain(`│   └── ${c}  llm.prompt`);
    else expect(down.stdout).toContain(`    └── ${c}  llm.prompt`);
  });
});

describe('bb watch and wrap', () => {
  it('watch publishes created, updated and deleted by what happened, ignoring globs', async () => {
    const env = exchange('watch');
    const dir = mkdtempSync(join(tmpdir(), 'bb-watch-'));
    const tail = spawnBb(['tail', 'artifact.#', '--json', '--timeout', '40'], { env });
    const watch = spawnBb(['watch', dir, '--debounce', '150', '--ignore', '**/*.tmp', '--json'], {
      env,
      timeoutMs: 180_000,
    });
    try {
      await tail.waitFor(/listening on/, 'stderr');
      await watch.waitFor(/watching /, 'stderr');
      const file = join(dir, 'notes.md');
      writeFileSync(join(dir, 'skip.tmp'), 'ignored');
      writeFileSync(file, 'one');
      await watch.waitFor(/"action":"created"/);
      appendFileSync(file, ' two');
      await watch.waitFor(/"action":"updated"/);
      unlinkSync(file);
      await watch.waitFor(/"action":"deleted"/);
      // Created and removed within one window cancels out.
      writeFileSync(join(dir, 'flash.md'), 'x');
      unlinkSync(join(dir, 'flash.md'));
      await new Promise((r) => setTimeout(r, 800));
      await tail.waitFor(/artifact\.deleted/);
    } finally {
      await watch.stop();
      await tail.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const events = lines(tail.stdout());
    expect(events.map((e) => e.event_type)).toEqual([
      'artifact.created',
      'artifact.updated',
      'artifact.deleted',
    ]);
    const uri = pathToFileURL(join(dir, 'notes.md')).href;
    expect(events.every((e) => e.envelope.payload['uri'] === uri)).toBe(true);
    expect(events[0]?.envelope.payload).toMatchObject({
      kind: 'file',
      title: 'notes.md',
      metadata: { path: 'notes.md', size: 3 },
    });
  }, 240_000);

  it('wrap tees the program and publishes llm.prompt then llm.response (parent = prompt), and no command', async () => {
    const env = exchange('wrap');
    const tail = spawnBb(['tail', '#', '--json', '--count', '3', '--timeout', '180'], { env });
    await tail.waitFor(/listening on/, 'stderr');
    const wrap = await runBb(
      ['wrap', '--provider', 'test', '--model', 'm1', 'sh', '--', '-c', 'cat; echo done; echo oops >&2'],
      {
        env,
        input: 'hello prompt\n',
      },
    );
    expect(wrap.code, wrap.stderr).toBe(0);
    expect(wrap.stdout).toBe('hello prompt\ndone\n');
    expect(wrap.stderr).toContain('oops');
    // A marker published after wrap exited: wrap's events were confirmed before it exited, so a third event
    // of wrap's (a command) would reach the queue before the marker. Waits for the marker, not for time.
    const marker = await runBb(['publish', 'artifact.created', '--mock', '--seed', '3'], { env });
    expect(marker.code, marker.stderr).toBe(0);
    const result = await tail.done;
    expect(result.code, result.stderr).toBe(0);
    const [prompt, response, third] = lines(result.stdout);
    expect(third?.event_type).toBe('artifact.created');
    expect(prompt).toMatchObject({
      event_type: 'llm.prompt',
      envelope: { payload: { provider: 'test', model: 'm1', prompt: 'hello prompt\n' } },
    });
    expect(response?.event_type).toBe('llm.response');
    expect(response?.envelope.correlation_ids).toEqual([prompt?.event_id]);
    expect(response?.causation_ids).toEqual([prompt?.event_id]);
    expect(response?.envelope.payload).toMatchObject({
      provider: 'test',
      prompt_id: prompt?.event_id,
      response: 'hello prompt\ndone\noops\n',
      metadata: { exit_code: 0 },
    });
  });

  it('wrap passes the program’s exit status through', async () => {
    const r = await runBb(['wrap', 'sh', '--', '-c', 'exit 3'], { env: exchange('wrap-status'), input: '' });
    expect(r.code).toBe(3);
  });
});

describe('bb dlq', () => {
  it('redrive puts a dead-lettered message back on the service’s main queue', async () => {
    const env = exchange('dlq');
    const service = `svc${Date.now().toString(36)}`;
    const { createConnection } = await import('../../../runtime/amqp/connection.js');
    const { createSubscriber } = await import('../../../runtime/amqp/consumer.js');
    const { NonRetryableError } = await import('../../../runtime/errors/index.js');
    const connection = await createConnection({
      url: process.env['RABBIT_URL'] ?? 'amqp://localhost:5672',
      name: 'bb-dlq-test',
    });
    const subscriber = await createSubscriber({
      registry,
      connection,
      exchange: env['EXCHANGE_NAME'] as string,
    });
    const sub = await subscriber.subscribe(
      'llm.prompt',
      () => {
        throw new NonRetryableError('poison');
      },
      { service },
    );
    const main = `${env['EXCHANGE_NAME']}.${service}.q`;
    try {
      const pub = await runBb(['publish', 'llm.prompt', '--mock'], { env });
      expect(pub.code, pub.stderr).toBe(0);
      const eventId = pub.stdout.trim();
      let depth = 0;
      for (let i = 0; i < 50 && depth === 0; i++) {
        const list = await runBb(['dlq', 'list', service, '--json'], { env });
        depth =
          (JSON.parse(list.stdout) as { role: string; messageCount: number }[]).find((q) => q.role === 'dlq')
            ?.messageCount ?? 0;
        if (depth === 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(depth).toBe(1);
      await sub.close();

      const peek = await runBb(['dlq', 'peek', service, '--json'], { env });
      expect(peek.code, peek.stderr).toBe(0);
      expect(JSON.parse(peek.stdout)).toMatchObject([
        { eventId, reason: 'not-retryable', error: expect.stringContaining('poison') },
      ]);

      const redrive = await runBb(['dlq', 'redrive', service], { env });
      expect(redrive).toMatchObject({ code: 0, stdout: `redrove 1 message from ${main}.dlq to ${main}\n` });
      const after = JSON.parse((await runBb(['dlq', 'list', main, '--json'], { env })).stdout) as {
        role: string;
        messageCount: number;
      }[];
      expect(after.find((q) => q.role === 'main')?.messageCount).toBe(1);
      expect(after.find((q) => q.role === 'dlq')?.messageCount).toBe(0);

      const refused = await runBb(['dlq', 'purge', service], { env });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/--yes/);
    } finally {
      await subscriber.close();
      const ch = await connection.createChannel();
      for (const q of [main, `${main}.dlq`, ...[1000, 5000, 30000, 120000].map((d) => `${main}.retry.${d}`)])
        await ch.deleteQueue(q).catch(() => {});
      await ch.close().catch(() => {});
      await connection.close();
    }
  }, 240_000);
});

describe('bb doctor', () => {
  interface Check {
    check: string;
    status: 'ok' | 'warn' | 'fail' | 'skip';
    detail: string;
  }
  const byName = (checks: Check[]) => new Map(checks.map((c) => [c.check, c]));

  it('reports each check; warnings (no exchange yet, an unknown service) keep exit 0', async () => {
    const env = exchange('doctor');
    const r = await runBb(['doctor', '--service', 'nobody_here', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const checks = byName(JSON.parse(r.stdout) as Check[]);
    expect(checks.get('configuration')).toMatchObject({
      status: 'ok',
      detail: `exchange ${env['EXCHANGE_NAME']}`,
    });
    expect(checks.get('RabbitMQ')?.status).toBe('ok');
    expect(checks.get('RabbitMQ')?.detail).not.toMatch(/guest:guest/);
    expect(checks.get('exchange')).toMatchObject({ status: 'warn' });
    expect(checks.get('exchange')?.detail).toMatch(/does not exist yet/);
    expect(checks.get('Redis')?.status).toBe('ok');
    expect(checks.get('service nobody_here')).toMatchObject({ status: 'warn' });
    expect(checks.get('service nobody_here')?.detail).toMatch(/has not subscribed yet/);
    for (const c of registry.listCommands()) expect(checks.has(`command ${c.key}`), c.key).toBe(true);
    // The same as text: one line per check and a summary.
    const text = await runBb(['doctor'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^✓ RabbitMQ: /m);
    expect(text.stdout).toMatch(/^! exchange: /m);
    expect(text.stdout).toMatch(/all good, \d+ warnings?\n$/);
  });

  it('exits 8 naming what failed when RabbitMQ and Redis cannot be reached', async () => {
    const env = {
      ...exchange('doctor-down'),
      RABBIT_URL: 'amqp://127.0.0.1:1',
      REDIS_URL: 'redis://127.0.0.1:1',
    };
    const r = await runBb(['doctor', '--json'], { env });
    expect(r.code).toBe(8);
    const checks = byName(JSON.parse(r.stdout) as Check[]);
    expect(checks.get('RabbitMQ')?.status).toBe('fail');
    expect(checks.get('Redis')?.status).toBe('fail');
    expect(checks.get('Redis')?.detail).toMatch(/127\.0\.0\.1:1/);
  }, 240_000);
});

describe('bb error paths exit non-zero with a clear message', () => {
  const NEVER_PUBLISHED = randomUUID();
  const nowhere = { RABBIT_URL: 'amqp://127.0.0.1:1', REDIS_URL: 'redis://127.0.0.1:1' };
  it.each([
    ['unknown command', ['frobnicate'], {}, 2, /unknown command/],
    [
      'no payload source',
      ['publish', 'llm.prompt'],
      {},
      2,
      /pass one of --mock, --data JSON, --file PATH or -/,
    ],
    [
      'two payload sources',
      ['publish', 'llm.prompt', '--mock', '--data', '{}'],
      {},
      2,
      /only one payload source/,
    ],
    ['payload not JSON', ['publish', 'llm.prompt', '--data', '{'], {}, 3, /not JSON/],
    [
      'invalid payload, every pointer',
      ['publish', 'llm.prompt', '--data', '{"provider":1,"x":2}'],
      {},
      3,
      /\/prompt +is required[\s\S]*\/x +is not allowed[\s\S]*\/provider +must be string/,
    ],
    [
      'missing file',
      ['publish', 'llm.prompt', '--file', '/nonexistent.json'],
      {},
      4,
      /cannot read \/nonexistent\.json/,
    ],
    ['unknown type', ['publish', 'llm.nope', '--mock'], {}, 4, /unknown event type "llm\.nope"/],
    [
      'bad parent',
      ['publish', 'llm.prompt', '--mock', '--parent', 'xyz'],
      {},
      2,
      /--parent must be an event id/,
    ],
    [
      'RabbitMQ down',
      ['publish', 'llm.prompt', '--mock'],
      nowhere,
      5,
      /cannot reach RabbitMQ at amqp:\/\/127\.0\.0\.1:1.*RABBIT_URL/,
    ],
    [
      'gateway down',
      ['publish', 'llm.prompt', '--mock', '--via', 'http'],
      { BLOODBANK_URL: 'http://127.0.0.1:1' },
      5,
      /cannot reach the gateway at http:\/\/127\.0\.0\.1:1/,
    ],
    [
      'Redis down for trace',
      ['trace', '3f0c1e9a-5b7d-4c2e-9a81-0d6f2b4c8e17'],
      nowhere,
      5,
      /cannot reach Redis.*REDIS_URL/,
    ],
    [
      'trace of an unknown id',
      ['trace', NEVER_PUBLISHED],
      {},
      4,
      /no correlation recorded for [0-9a-f-]{36}: it has no parents and no children/,
    ],
    ['trace of a non-id', ['trace', 'abc'], {}, 2, /not an event id/],
    ['bad tail pattern', ['tail', 'a..b'], {}, 2, /not a topic pattern/],
    [
      'watch a missing directory',
      ['watch', '/nonexistent-dir'],
      {},
      4,
      /\/nonexistent-dir is not a directory/,
    ],
    ['wrap a missing program', ['wrap', 'no-such-program-xyz'], {}, 4, /cannot run no-such-program-xyz/],
    ['peek an unknown queue', ['dlq', 'peek', 'no_such_service'], {}, 4, /does not exist/],
    [
      'bad --id-key',
      ['publish', 'llm.prompt', '--mock', '--id-key', 'novalue', '--dry-run'],
      {},
      2,
      /--id-key expects key=value/,
    ],
    [
      'bad registry module',
      ['--registry', './nope.js', 'list-events'],
      {},
      2,
      /cannot load the registry module \.\/nope\.js/,
    ],
    [
      'bad config',
      ['publish', 'llm.prompt', '--mock'],
      { CORRELATION_TTL_DAYS: '-1' },
      2,
      /CORRELATION_TTL_DAYS/,
    ],
    ['not a number', ['tail', '--count', 'x'], {}, 2, /expected a whole number/],
  ])('%s', async (_name, args, env, code, message) => {
    const r = await runBb(args, { env: { ...exchange('errors'), ...env }, input: '' });
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({
      code,
      stderr: expect.stringMatching(message),
    });
  });
});
