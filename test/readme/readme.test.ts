/**
 * README code samples are these files, verbatim: the test fails when README and file drift apart, and
 * runs each sample (the AMQP one against the real broker, on an exchange of its own).
 */
import { readFileSync } from 'node:fs';
import amqp from 'amqplib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CONFIG_VARIABLES, DEFAULT_RETRY_DELAYS_MS, queueNames } from '../../runtime/index.js';

const README = readFileSync('README.md', 'utf8');

/** Blocks written as `<!-- sample: test/readme/x.ts -->` followed by a fenced block. */
function samples(): Array<{ file: string; code: string }> {
  const re = /<!-- sample: (\S+) -->\n+```ts\n([\s\S]*?)```/g;
  return [...README.matchAll(re)].map((m) => ({ file: m[1] as string, code: m[2] as string }));
}

const exchange = `bb.test.readme.${process.pid}.${Date.now()}`;
process.env['EXCHANGE_NAME'] = exchange;

afterAll(async () => {
  const conn = await amqp.connect(process.env['RABBIT_URL'] ?? 'amqp://localhost:5672');
  const ch = await conn.createChannel();
  const names = queueNames(exchange, 'notes');
  for (const q of [names.main, names.dlq, ...DEFAULT_RETRY_DELAYS_MS.map(names.retry)])
    await ch.deleteQueue(q).catch(() => undefined);
  await ch.deleteExchange(exchange).catch(() => undefined);
  await conn.close();
});

describe('README samples', () => {
  it('the README shows each sample file verbatim', () => {
    const found = samples();
    expect(found.map((s) => s.file).sort()).toEqual([
      'test/readme/quickstart.ts',
      'test/readme/request-reply.ts',
      'test/readme/testing.ts',
    ]);
    for (const s of found) expect(s.code, s.file).toBe(readFileSync(s.file, 'utf8'));
  });

  it('quickstart: typed publish and subscribe over RabbitMQ', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const { bus } = await import('./quickstart.js');
    await vi.waitFor(() => expect(log).toHaveBeenCalledTimes(1), { timeout: 10_000 });
    expect(log.mock.calls[0]).toEqual([
      'fireflies.transcript.upload',
      expect.objectContaining({ media_file: '/rec/standup.mp3', title: null }),
    ]);
    await bus.close();
    log.mockRestore();
  });

  it('testing: the in-memory bus for unit tests', async () => {
    const { testingSample } = await import('./testing.js');
    expect(await testingSample()).toBe(1);
  });

  it('request/reply: a typed request answered by a typed responder, on the in-memory bus', async () => {
    const { requestReplySample } = await import('./request-reply.js');
    expect(await requestReplySample()).toBe(10);
  });

  it('the configuration reference lists every variable the config module reads, with its default', () => {
    const section = README.slice(README.indexOf('## Configuration'));
    for (const v of CONFIG_VARIABLES) {
      const row = section.split('\n').find((line) => line.startsWith(`| \`${v.name}\``));
      expect(row, v.name).toBeDefined();
      if (v.default !== null) expect(row, v.name).toContain(`\`${v.default}\``);
    }
  });
});
