/**
 * The command processor as a child process running the built code (`node apps/dist/apps/command-processor/
 * main.js`): SIGKILL in the middle of a handler, restart, and exactly one agent.thread.response and one
 * copy of each side effect (by event_id) arrive; SIGTERM finishes the running command before exiting.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../../generated/index.js';
import { createRequester, type Envelope } from '../../../runtime/index.js';
import { SHARED_URL, uniqueName } from '../../support/private-rabbit.js';
import { deleteCommandTopology, observe, sleep } from '../../runtime/commands/harness.js';

const KEY = 'agent.thread.prompt';
const MAIN = 'apps/dist/apps/command-processor/main.js';
const RETRY_DELAY = 200;

function newestSource(dirs: readonly string[]): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.name === 'dist' || entry.name === 'node_modules') continue; // a package's build output
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const d of dirs) walk(d);
  return newest;
}

beforeAll(() => {
  const stale =
    !existsSync(MAIN) ||
    newestSource(['runtime', 'apps/command-processor', 'apps/handlers', 'apps/shared', 'generated']) >
      statSync(MAIN).mtimeMs;
  // tsc emits even when other parts of the tree have type errors; the file's presence is what matters.
  if (stale) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'ignore', timeout: 170_000 });
  if (!existsSync(MAIN)) throw new Error(`${MAIN} was not built`);
}, 180_000);

interface Child {
  readonly process: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  waitFor(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<void>;
  readonly exited: Promise<number | null>;
}

const children: Child[] = [];
let cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of children.splice(0))
    if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  cleanups = [];
});

function startChild(exchange: string, args: readonly string[]): Child {
  const child = spawn(
    process.execPath,
    [MAIN, '--lease-ms', '3000', '--retry-delays', String(RETRY_DELAY), ...args],
    {
      env: {
        ...process.env,
        EXCHANGE_NAME: exchange,
        BLOODBANK_HISTORY: 'off',
        RABBIT_URL: SHARED_URL,
        BLOODBANK_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.trim()) continue;
      try {
        lines.push(JSON.parse(part) as Record<string, unknown>);
      } catch {
        lines.push({ msg: part });
      }
    }
    for (const w of waiters) w();
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const c: Child = {
    process: child,
    lines,
    exited,
    waitFor(predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (lines.some(predicate)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`child: no matching log line within ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then(() => {
          if (waiters.has(check)) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`child exited before the expected log line; stderr: ${stderr}`));
          }
        });
        check();
      });
    },
  };
  children.push(c);
  return c;
}

const started = (l: Record<string, unknown>) => l['msg'] === 'command processor started';
const running = (l: Record<string, unknown>) => l['msg'] === 'running command';

function distinct(events: readonly Envelope[], type: string): string[] {
  return [...new Set(events.filter((e) => e.event_type === type).map((e) => e.event_id))];
}

async function setup() {
  const exchange = uniqueName('crash');
  cleanups.push(() => deleteCommandTopology(exchange, [KEY], [RETRY_DELAY]));
  const observer = await observe(exchange);
  cleanups.push(() => observer.close());
  const requester = createRequester({ url: SHARED_URL, registry, exchange, timeoutMs: 60_000 });
  cleanups.push(() => requester.close());
  return { exchange, observer, requester };
}

describe('command processor child process', () => {
  it('killed with SIGKILL mid-handler and restarted: exactly one response and one copy of each side effect', async () => {
    const { exchange, observer, requester } = await setup();
    const first = startChild(exchange, ['--echo-delay-ms', '5000']);
    await first.waitFor(started);

    const request = requester.request(KEY, { provider: 'echo', prompt: 'survive a crash' });
    request.catch(() => undefined);
    await first.waitFor(running);
    first.process.kill('SIGKILL');
    expect(await first.exited).toBe(null);
    expect(first.process.signalCode).toBe('SIGKILL');
    expect(observer.ofType('agent.thread.response')).toEqual([]);
    expect(observer.ofType('llm.prompt')).toEqual([]);

    const second = startChild(exchange, []);
    await second.waitFor(started);
    const { reply, commandId } = await request;
    expect(reply.payload.response).toBe('Echoing your prompt: survive a crash');
    expect(reply.correlation_ids).toEqual([commandId]);
    await second.waitFor((l) => running(l) && l['commandId'] === commandId);

    await observer.waitFor((e) => e.event_type === 'agent.thread.response');
    await sleep(1_500); // let any duplicate arrive
    expect(distinct(observer.events, 'agent.thread.response')).toEqual([reply.event_id]);
    expect(distinct(observer.events, 'llm.prompt')).toHaveLength(1);
    expect(distinct(observer.events, 'llm.response')).toHaveLength(1);
    expect(distinct(observer.events, 'agent.thread.error')).toEqual([]);
    for (const e of observer.events.filter((x) => x.event_type !== KEY))
      expect(e.correlation_ids[0]).toBe(commandId);

    second.process.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);

  it('SIGTERM while a command runs: the command finishes and answers, then the process exits 0', async () => {
    const { exchange, observer, requester } = await setup();
    const child = startChild(exchange, ['--echo-delay-ms', '1500']);
    await child.waitFor(started);
    const request = requester.request(KEY, { provider: 'echo', prompt: 'finish me' });
    await child.waitFor(running);
    child.process.kill('SIGTERM');
    const { reply } = await request;
    expect(reply.payload.response).toBe('Echoing your prompt: finish me');
    expect(await child.exited).toBe(0);
    expect(child.lines.some((l) => l['msg'] === 'command processor stopped')).toBe(true);
    expect(distinct(observer.events, 'agent.thread.response')).toEqual([reply.event_id]);
  }, 60_000);
});
