/**
 * `npm run docs` as a person runs it, then the site in headless Chromium (Debian's chromium through
 * playwright-core): every event page loads from disk with its schema table, AMQP binding and examples,
 * commands link their reply and failure events, nothing is fetched from the network, and the search box
 * finds an event. Screenshots go to test-artifacts/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve('.');
const ARTIFACTS = join(ROOT, 'test-artifacts');

interface Channel {
  address: string;
  messages: Record<string, { $ref: string }>;
}

/** Routing keys and commands straight from asyncapi.yaml (not through the site builder). */
function contract(): { keys: string[]; commands: Map<string, { reply: string; error: string }> } {
  const doc = parse(readFileSync(join(ROOT, 'asyncapi.yaml'), 'utf8')) as {
    channels: Record<string, Channel>;
    operations: Record<
      string,
      { reply?: { channel: { $ref: string } }; 'x-bloodbank-error'?: string; channel: { $ref: string } }
    >;
  };
  const keys = Object.values(doc.channels).map((c) => c.address);
  const commands = new Map<string, { reply: string; error: string }>();
  for (const op of Object.values(doc.operations)) {
    if (!op.reply) continue;
    const key = (ref: string) => doc.channels[ref.replace('#/channels/', '')]?.address ?? '';
    commands.set(key(op.channel.$ref), {
      reply: key(op.reply.channel.$ref),
      error: op['x-bloodbank-error'] ?? '',
    });
  }
  return { keys, commands };
}

describe('npm run docs, in Chromium', () => {
  let out: string;
  let browser: Browser;
  let buildMs: number;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    out = mkdtempSync(join(tmpdir(), 'bb-docs-'));
    const started = Date.now();
    execFileSync('npm', ['run', 'docs', '--', '--out', out], { cwd: ROOT, stdio: 'pipe' });
    buildMs = Date.now() - started;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('builds in seconds', () => {
    console.log(`docs build (npm run docs, process start included): ${(buildMs / 1000).toFixed(1)} s`);
    expect(buildMs).toBeLessThan(60_000);
  });

  it('serves a page per routing key with schema table, binding and examples, offline', async () => {
    const { keys, commands } = contract();
    expect(keys.length).toBeGreaterThan(0);
    const page = await browser.newPage();
    const offsite: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file://')) offsite.push(r.url());
    });
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));
    for (const key of keys) {
      const response = await page.goto(pathToFileURL(join(out, 'events', `${key}.html`)).href);
      expect(response?.ok(), key).toBe(true);
      expect(await page.locator('h1 code').innerText()).toBe(key);
      expect(await page.locator('h2', { hasText: 'AMQP binding' }).count(), key).toBe(1);
      expect((await page.locator('dl.facts').allInnerTexts()).join('\n')).toContain('bloodbank.events.v1');
      const rows = page.locator('table.schema').first().locator('tbody tr');
      expect(await rows.count(), `${key} schema rows`).toBeGreaterThan(0);
      expect(await page.locator('table.schema th').allInnerTexts()).toEqual(
        expect.arrayContaining(['Field', 'Type', 'Required', 'Constraints']),
      );
      expect(await page.locator('pre code').count(), `${key} example`).toBeGreaterThan(0);
      const command = commands.get(key);
      if (command) {
        expect(await page.locator('.badge.command').count()).toBe(1);
        expect(await page.locator(`.flow a[href$="events/${command.reply}.html"]`).count(), key).toBe(1);
        expect(await page.locator(`.flow a[href$="events/${command.error}.html"]`).count(), key).toBe(1);
      }
    }
    // A bound and an enum render as readable constraints.
    await page.goto(pathToFileURL(join(out, 'events', 'fireflies.transcript.ready.html')).href);
    const duration = page.locator('table.schema tbody tr', { hasText: 'duration' }).first();
    expect(await duration.innerText()).toMatch(/≤ 86,400/);
    await page.screenshot({ path: join(ARTIFACTS, 'docs-event.png'), fullPage: false });
    expect(offsite).toEqual([]);
    expect(failures).toEqual([]);
    await page.close();
  }, 120_000);

  it('finds an event with the search box', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(pathToFileURL(join(out, 'index.html')).href);
    expect(await page.locator('table.events tbody tr').count()).toBe(contract().keys.length);
    await page.locator('#search').fill('transcript upload');
    const first = page.locator('#search-results li').first();
    await first.waitFor();
    expect(await first.innerText()).toContain('fireflies.transcript.upload');
    await page.screenshot({ path: join(ARTIFACTS, 'docs-search.png') });
    await page.locator('#search').press('Enter');
    await page.waitForURL(/events\/fireflies\.transcript\.upload\.html$/);
    expect(await page.locator('h1 code').innerText()).toBe('fireflies.transcript.upload');
    // Fields are searchable too: a field name finds the events that carry it.
    await page.locator('#search').fill('speaker_name');
    await page.locator('#search-results li').first().waitFor();
    expect(await page.locator('#search-results').innerText()).toContain('fireflies.transcript.ready');
    await page.close();
  }, 60_000);
});
