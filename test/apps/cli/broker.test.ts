/**
 * `bb broker definitions` and `bb broker apply` (issue 18), run as the built `bb`: the shipped policy
 * becomes a definitions document without a password in it; a policy mistake exits 3 with its pointer;
 * `apply --dry-run` shows the plan and changes nothing, `apply` imports it into a private RabbitMQ node
 * through rabbitmqctl, after which the plan is empty.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuild } from '../../support/build.js';
import { startPrivateRabbit, uniqueName, type PrivateRabbit } from '../../support/private-rabbit.js';

const dir = mkdtempSync(join(tmpdir(), 'bbtest-broker-cli-'));
const passwords = join(dir, 'broker-passwords');

function bb(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['apps/dist/apps/cli/main.js', ...args],
      { env: { ...process.env, BLOODBANK_LOG_LEVEL: 'silent', ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(() => ensureBuild(), 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bb broker definitions', () => {
  it('generates missing passwords (mode 600) and prints users, permissions and topic permissions', async () => {
    const result = await bb(['broker', 'definitions', '--passwords', passwords, '--generate-passwords']);
    expect(result.stderr).toMatch(/generated passwords for .*gateway/);
    expect(result.code).toBe(0);
    expect(statSync(passwords).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(result.stdout) as {
      users: Array<{ name: string }>;
      topic_permissions: Array<{ user: string; write: string; read: string }>;
    };
    expect(doc.users.map((u) => u.name)).toEqual(
      expect.arrayContaining(['gateway', 'command-processor', 'file-watcher', 'fireflies', 'agent']),
    );
    for (const line of readFileSync(passwords, 'utf8')
      .split('\n')
      .filter((l) => l.includes('=')))
      expect(result.stdout).not.toContain(line.split('=')[1]);
    expect(doc.topic_permissions.find((t) => t.user === 'file-watcher')).toMatchObject({
      write: '^(?:artifact\\.created|artifact\\.updated|artifact\\.deleted)$',
      read: '^$',
    });
  });

  it('a service without a password is a usage error naming it', async () => {
    const partial = join(dir, 'partial');
    writeFileSync(partial, 'gateway=x\n');
    const result = await bb(['broker', 'definitions', '--passwords', partial]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no password for .*command-processor/);
  });

  it('a policy mistake exits 3 with its JSON pointer', async () => {
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'services:\n  watcher:\n    publish: [artifact.creatd]\n');
    const result = await bb(['broker', 'definitions', '--policy', policy, '--passwords', passwords]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /\/services\/watcher\/publish\/0: "artifact\.creatd" matches no channel of the contract \(did you mean artifact\.created\?\)/,
    );
  });
});

describe('bb broker apply (private node, rabbitmqctl)', () => {
  let rabbit: PrivateRabbit;
  const exchange = uniqueName('apply');
  beforeAll(async () => {
    rabbit = await startPrivateRabbit();
  }, 120_000);
  afterAll(async () => rabbit?.dispose(), 60_000);

  const apply = (...extra: string[]) =>
    bb(
      [
        'broker',
        'apply',
        '--passwords',
        passwords,
        '--ctl',
        '--rabbitmqctl',
        rabbit.rabbitmqctl,
        '--node',
        rabbit.node,
        ...extra,
      ],
      { ...rabbit.env, RABBIT_URL: rabbit.url, EXCHANGE_NAME: exchange },
    );

  it('--dry-run shows the plan and changes nothing; apply imports; then nothing is left to change', async () => {
    const dry = await apply('--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^plan for .*rabbitmqctl -n bbtest-/m);
    expect(dry.stdout).toContain(`+ exchange ${exchange} (topic, durable) on /`);
    expect(dry.stdout).toMatch(/^ {2}\+ user gateway$/m);
    expect(dry.stdout).toMatch(/\+ topic permissions of file-watcher on .*: write \^\(\?:artifact/);
    expect(await rabbit.ctl('list_users', '--silent')).not.toMatch(/gateway/);

    const applied = await apply();
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/applied \d+ changes/);
    expect(await rabbit.ctl('list_users', '--silent')).toMatch(/gateway/);
    expect(await rabbit.ctl('list_topic_permissions', '--silent')).toMatch(
      /file-watcher\s+\S+\s+\^\(\?:artifact\\\.created/,
    );

    const again = await apply('--dry-run');
    expect(again.stdout).toContain('(nothing to change)');
  }, 120_000);
});
