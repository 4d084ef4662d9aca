/**
 * `bash scripts/services.sh --revive` (what CI's .ci/run calls) brings back a broker that accepts TCP but
 * no longer speaks AMQP: it reports it, kills the process listening on the port, starts the broker again
 * and waits until the protocol answers. Never tried on the shared broker: the test's own stand-in
 * (test/fixtures/services/fake-amqp.mjs) is the wedged broker, on a free port, in a process of its own,
 * and SERVICES_RABBIT_START starts a stand-in that answers (the machine's `rabbitmq-server -detached`
 * is what the script runs for the real one).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/private-rabbit.js';
import { runCommand } from '../support/run-command.js';

const FAKE = join('test', 'fixtures', 'services', 'fake-amqp.mjs');
const dir = mkdtempSync(join(tmpdir(), 'bb-revive-'));
const pidFile = join(dir, 'answering.pid');
const limitFile = join(dir, 'start-limit');
let wedged: ChildProcess | null = null;

afterAll(() => {
  wedged?.kill('SIGKILL');
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
  } catch {
    // never started, or gone
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The hard "Max open files" limit of a process, from /proc. */
function hardFileLimit(pid: number): string {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return (line ?? '').split(/\s{2,}/)[2] ?? '';
}

/**
 * Run as CI would on a machine whose soft descriptor limit is Debian's 1,024 (Node raises its own soft limit
 * to the hard one, so without this the limit check below could not fail).
 */
function services(env: NodeJS.ProcessEnv, ...args: string[]) {
  return runCommand(
    'bash',
    ['-c', ['ulimit -Sn 1024; exec bash scripts/services.sh', ...args].join(' ')],
    env,
  );
}

describe('scripts/services.sh --revive', () => {
  it('kills a broker that accepts TCP but not AMQP, starts it again and waits until it answers', async () => {
    const port = await freePort();
    wedged = spawn(process.execPath, [FAKE, 'silent', String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const child = wedged;
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the stand-in exited (${code})`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const env = {
      ...process.env,
      SERVICES_RABBIT_PORT: String(port),
      SERVICES_PATIENCE_S: '2',
      SERVICES_REVIVE_ANY_PORT: '1',
      SERVICES_RABBIT_START: `ulimit -Sn > ${limitFile}; setsid ${process.execPath} ${FAKE} answer ${port} ${pidFile} >/dev/null 2>&1 &`,
    };

    const revived = await services(env, '--revive');
    expect(revived.stderr).toContain(
      `RabbitMQ accepts TCP on ${port} but does not answer the AMQP protocol header`,
    );
    expect(revived.stderr).toContain(`restarting the wedged broker (pid ${child.pid})`);
    expect(revived.stdout).toContain('services: RabbitMQ and Redis answer');
    expect(revived.code).toBe(0);
    await exited; // the wedged one was killed …
    const answering = Number(readFileSync(pidFile, 'utf8'));
    expect(answering).not.toBe(child.pid); // … and another one answers now
    // … by a start command that had the hard descriptor limit, not the 1,024 this script was given (read by
    // the start command itself: node, the stand-in, raises its own soft limit).
    expect(readFileSync(limitFile, 'utf8').trim()).toBe(hardFileLimit(process.pid));

    // Run again: it answers, nothing is restarted.
    const again = await services(env, '--revive');
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
  }, 180_000);
});
