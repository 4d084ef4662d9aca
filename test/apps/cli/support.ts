/**
 * Helpers for tests that run the built `bb` (apps/dist/apps/cli/main.js) as a child process: a build that
 * runs once when dist/ is older than the sources (serialised across test files by a lock directory),
 * one-shot runs, long-running children whose output can be awaited, and a unique exchange per test.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const BB = join(ROOT, 'apps/dist/apps/cli/main.js');
const SOURCES = ['apps', 'runtime', 'generated'];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.name === 'dist' || entry.name === 'node_modules') continue; // a package's build output
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (/\.tsx?$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function stale(): boolean {
  if (!existsSync(BB)) return true;
  const built = statSync(BB).mtimeMs;
  return SOURCES.some((s) => newestMtime(join(ROOT, s)) > built);
}

/** Builds with `node scripts/build.mjs` when it is older than apps/, runtime/ or generated/. */
export function ensureCliBuilt(): void {
  if (!stale()) return;
  // The lock lives beside the checkout's other scratch folders (`.tmp-*`, gitignored), never in node_modules.
  const lock = join(ROOT, '.tmp-bb-cli-build.lock');
  const deadline = Date.now() + 240_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} held for 4 minutes: remove it if no build runs`);
      spawnSync('sleep', ['1']);
    }
  }
  try {
    if (!stale()) return;
    // tsc emits even when another engineer's file has a type error; the freshness check below decides.
    spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (!existsSync(BB)) throw new Error('the build did not produce apps/dist/apps/cli/main.js');
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export function uniqueExchange(name: string): string {
  return `bbtest.cli.${name}.${randomUUID().slice(0, 8)}`;
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: Record<string, string>;
  readonly input?: string;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/** Runs `bb args…` to completion. */
export function runBb(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const child = spawnBb(args, options);
  return child.done;
}

export interface BbChild {
  readonly process: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout (or stderr) matches. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<string>;
  readonly done: Promise<RunResult>;
  stop(): Promise<RunResult>;
}

export function spawnBb(args: readonly string[], options: RunOptions = {}): BbChild {
  const child = spawn(process.execPath, [BB, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, BLOODBANK_LOG_LEVEL: 'silent', ...options.env },
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of waiters) w();
  });
  if (options.input !== undefined) child.stdin.end(options.input);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const done = new Promise<RunResult>((resolveDone) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      for (const w of waiters) w();
      resolveDone({ code, stdout: out, stderr: err });
    });
  });
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, stream = 'stdout', timeoutMs = 60_000) {
      return new Promise((resolveWait, reject) => {
        const check = () => {
          const text = stream === 'stdout' ? out : err;
          const m = pattern.exec(text);
          if (m) {
            waiters.delete(check);
            clearTimeout(t);
            resolveWait(m[0]);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            clearTimeout(t);
            reject(
              new Error(`bb ${args.join(' ')} exited before ${pattern}:\nstdout: ${out}\nstderr: ${err}`),
            );
          }
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `timed out waiting for ${pattern} from bb ${args.join(' ')}:\nstdout: ${out}\nstderr: ${err}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    done,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return done;
    },
  };
}

/** Deletes an exchange (and queues) a test created, through a short-lived amqplib connection. */
export async function deleteTopology(exchange: string, queues: readonly string[] = []): Promise<void> {
  const amqp = (await import('amqplib')).default;
  const conn = await amqp.connect(process.env['RABBIT_URL'] ?? 'amqp://localhost:5672');
  try {
    const ch = await conn.createChannel();
    for (const q of queues) await ch.deleteQueue(q);
    await ch.deleteExchange(exchange);
    await ch.close();
  } finally {
    await conn.close();
  }
}
