/**
 * `bb tui` as a person runs it: the built `bb` in a real terminal (tmux, 80×24), no test-only flags or
 * environment. The test walks the tree with the arrow keys, loads a mock file, edits a field in the
 * middle of the pretty-printed payload (first into an invalid value, then a valid one), publishes, and
 * checks both the captured screen and that the event arrived on the real exchange (a queue of its own
 * bound for this routing key, matched on the unique value typed). Resizes, then quits.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, existsSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import amqp, { type ChannelModel, type ConsumeMessage } from 'amqplib';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenToHtml } from './screen-html.js';

const ROOT = resolve('.');
const BB = join(ROOT, 'apps/dist/apps/cli/main.js');
const EXCHANGE = process.env['EXCHANGE_NAME'] ?? 'bloodbank.events.v1';
const RABBIT_URL = process.env['RABBIT_URL'] ?? 'amqp://localhost:5672';
const KEY = 'fireflies.transcript.upload';
const SOCKET = `bb-tui-test-${process.pid}`;
const SESSION = 'tui';
const ARTIFACTS = join(ROOT, 'test-artifacts');

/** The environment a person's shell would give `bb`: no VITEST*, no NODE_ENV=test. */
function userEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/root',
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
  };
  for (const name of ['RABBIT_URL', 'EXCHANGE_NAME', 'REDIS_URL', 'REDIS_HOST', 'REDIS_PORT'])
    if (process.env[name]) env[name] = process.env[name];
  return env;
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], {
    encoding: 'utf8',
    env: userEnvironment(),
  });
}

function screen(): string {
  return tmux('capture-pane', '-p', '-t', SESSION);
}

function keys(...names: string[]): void {
  tmux('send-keys', '-t', SESSION, ...names);
}

function type(text: string): void {
  tmux('send-keys', '-t', SESSION, '-l', '--', text);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, test: (s: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = screen();
    if (test(last)) return last;
    if (tmux('display-message', '-p', '-t', SESSION, '#{pane_dead}').trim() === '1')
      throw new Error(`bb tui exited while waiting for ${what}; the screen was:\n${last}`);
    await sleep(80);
  }
  throw new Error(`timed out waiting for ${what}; the screen was:\n${last}`);
}

/** The tree row under the cursor (marked `›` in the left pane). */
function cursorRow(s: string): string {
  return s.split('\n').find((l) => l.startsWith('│›')) ?? '';
}

async function moveTo(label: RegExp): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const row = cursorRow(screen());
    if (label.test(row.slice(0, 24))) return;
    keys('Down');
    await waitFor('the cursor to move', (s) => cursorRow(s) !== row);
  }
  throw new Error(`no tree row matches ${label}`);
}

/** Build dist/ when the TUI or the CLI sources are newer than it (tsc may complain about others' work in progress). */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, d) => {
      const p = join(dir, d.name);
      return Math.max(m, d.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  const built = join(ROOT, 'apps/dist/apps/cli/tui/main.js');
  if (existsSync(built) && existsSync(BB) && statSync(built).mtimeMs >= newest(join(ROOT, 'apps/cli')))
    return;
  spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
  if (!existsSync(built) || !existsSync(BB)) throw new Error('node scripts/build.mjs did not build bb');
}

describe('bb tui in a terminal', () => {
  let connection: ChannelModel;
  const arrived: ConsumeMessage[] = [];
  let workdir: string;

  beforeAll(async () => {
    ensureBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    workdir = mkdtempSync(join(tmpdir(), 'bb-tui-'));
    // A mock file as the original TUI named them, in the directory bb tui runs in.
    writeFileSync(
      join(workdir, 'fireflies_transcript_upload_Mock.json'),
      JSON.stringify(
        {
          media_file: 'https://storage.example.com/recordings/2026-11-26-standup.mp3',
          media_duration_seconds: 1830,
          media_type: 'audio/mpeg',
          title: 'Daily standup',
          user_id: 'u_01HZX8',
        },
        null,
        2,
      ) + '\n',
    );
    connection = await amqp.connect(RABBIT_URL);
    const channel = await connection.createChannel();
    await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, EXCHANGE, KEY);
    await channel.consume(queue, (m) => m && arrived.push(m), { noAck: true });
  }, 120_000);

  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await connection?.close();
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  it('browses, loads a mock, shows a failing pointer, publishes the edit, resizes and quits', async () => {
    const unique = `tui-${randomUUID().slice(0, 8)}`;
    tmux(
      'new-session', '-d', '-s', SESSION, '-x', '80', '-y', '24', '-c', workdir, `node ${BB} tui`,
      ';', 'set-option', '-t', SESSION, 'remain-on-exit', 'on',
    ); // prettier-ignore

    let s = await waitFor(
      'the workbench',
      (x) => x.includes('Events (') && x.includes('● connected'),
      30_000,
    );
    const lines = s.replace(/\n$/, '').split('\n');
    expect(lines).toHaveLength(24);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);

    // domain → entity → action, with the arrow keys.
    await moveTo(/fireflies/);
    keys('Right');
    await waitFor('fireflies to open', (x) => x.includes('▾ fireflies'));
    await moveTo(/transcript/);
    keys('Right');
    await waitFor('transcript to open', (x) => x.includes('▾ transcript'));
    await moveTo(/· upload/);
    await waitFor('the event to be shown', (x) => x.includes(`${KEY} · event`));

    // Load the mock file (l, then accept the proposed file name).
    keys('l');
    await waitFor('the load prompt', (x) =>
      x.includes('Load mock from: fireflies_transcript_upload_Mock.json'),
    );
    keys('Enter');
    await waitFor('the mock to load', (x) => x.includes('loaded fireflies_transcript_upload_Mock.json'));

    // Into the editor, down to line 3 ("media_duration_seconds": 1830,) — an invalid value first.
    keys('Enter');
    await waitFor('the editor', (x) => x.includes('type to edit'));
    keys('Down', 'Down', 'End', 'Left');
    keys('BSpace', 'BSpace', 'BSpace', 'BSpace');
    type('-5');
    s = await waitFor('the failing pointer', (x) => x.includes('/media_duration_seconds must be >= 0'));
    expect(s).toMatch(/│✗ {2}3 {3}"media_duration_seconds": -5,/);
    expect(s).not.toContain('✓ valid');
    writeFileSync(join(ARTIFACTS, 'tui-invalid-80x24.txt'), s);

    // Publishing an invalid payload is refused with the reason.
    keys('C-p');
    await waitFor('the refusal', (x) => x.includes(`cannot publish ${KEY}: 1 schema issue`));

    // Fix it, then edit the title two lines further down with a value only this test knows.
    keys('BSpace', 'BSpace');
    type('1830');
    await waitFor('valid again', (x) => x.includes(`✓ valid ${KEY} payload`));
    keys('Down', 'Down', 'End', 'Left', 'Left');
    type(` ${unique}`);
    await waitFor(
      'the edit',
      (x) => x.includes(`"title": "Daily standup ${unique}",`) && x.includes('✓ valid'),
    );

    keys('C-p');
    s = await waitFor('the receipt', (x) =>
      /✓ published fireflies\.transcript\.upload [0-9a-f-]{36}/.test(x),
    );
    const eventId = /✓ published fireflies\.transcript\.upload ([0-9a-f-]{36})/.exec(s)?.[1] as string;

    // It is on the exchange: our own queue got it, with the typed value.
    const deadline = Date.now() + 10_000;
    while (!arrived.some((m) => m.properties.messageId === eventId) && Date.now() < deadline) await sleep(50);
    const message = arrived.find((m) => m.properties.messageId === eventId);
    expect(message, `event ${eventId} on ${EXCHANGE}`).toBeDefined();
    const body = JSON.parse((message as ConsumeMessage).content.toString('utf8')) as {
      event_id: string;
      event_type: string;
      payload: { title: string; media_duration_seconds: number };
    };
    expect(body.event_id).toBe(eventId);
    expect(body.event_type).toBe(KEY);
    expect(body.payload.title).toBe(`Daily standup ${unique}`);
    expect(body.payload.media_duration_seconds).toBe(1830);

    // And in the live pane.
    s = await waitFor('the live pane', (x) => x.includes(`${KEY}  ${eventId.slice(0, 8)}`));
    const final = s.replace(/\n$/, '').split('\n');
    expect(final).toHaveLength(24);
    for (const line of final) expect([...line].length).toBeLessThanOrEqual(80);
    writeFileSync(join(ARTIFACTS, 'tui-80x24.txt'), s);
    await screenshot(`bb tui — ${KEY} published`);

    // Resize: the layout follows the terminal, and comes back.
    tmux('resize-window', '-t', SESSION, '-x', '100', '-y', '30');
    s = await waitFor(
      'the wider layout',
      (x) => x.split('\n')[1]?.length === 100 && x.split('\n').length >= 30,
    );
    expect(s).toContain(`"title": "Daily standup ${unique}",`);
    tmux('resize-window', '-t', SESSION, '-x', '80', '-y', '24');
    s = await waitFor('the 80×24 layout', (x) => x.split('\n')[1]?.length === 80);
    for (const line of s.replace(/\n$/, '').split('\n')) expect([...line].length).toBeLessThanOrEqual(80);

    // Quit: Esc leaves the editor, q quits; the process exits 0 and the terminal gets its screen back.
    keys('Escape');
    await waitFor('the tree keys', (x) => x.includes('↑↓←→ move'));
    keys('q');
    const deadlineQuit = Date.now() + 10_000;
    let dead = '';
    while (Date.now() < deadlineQuit) {
      dead = tmux('display-message', '-p', '-t', SESSION, '#{pane_dead} #{pane_dead_status}').trim();
      // The pane is dead once the pty closes; tmux fills pane_dead_status only if the process has been
      // reaped by then (it may still be closing its broker connections): a status, when given, must be 0.
      if (/^1 \d+$/.test(dead)) break;
      await sleep(100);
    }
    expect(dead).toMatch(/^1( 0)?$/);
    expect(screen()).not.toContain('Bloodbank workbench');
  }, 120_000);
});

/** Render the current screen (with colours) to test-artifacts/tui-80x24.png. */
async function screenshot(title: string): Promise<void> {
  const captured = tmux('capture-pane', '-p', '-e', '-t', SESSION);
  const html = join(ARTIFACTS, 'tui-80x24.html');
  writeFileSync(html, screenToHtml(captured, 80, title));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    await page.goto(`file://${html}`);
    await page.locator('.window').screenshot({ path: join(ARTIFACTS, 'tui-80x24.png') });
  } finally {
    await browser.close();
  }
}
