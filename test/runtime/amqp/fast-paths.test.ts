/**
 * The two fast paths that reach into amqplib (coalesce.ts, fast-publish.ts) are kept only with amqplib
 * pinned to the minor they were tested on (package.json `~2.3`). Each falls back quietly at run time when
 * the internals are missing; this test makes that fallback loud, so an upgrade that breaks either is
 * seen here, not as a silently slower publisher.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { coalesceWrites } from '../../../runtime/amqp/coalesce.js';
import { canSendDirectly } from '../../../runtime/amqp/fast-publish.js';
import { SHARED_URL } from '../../support/private-rabbit.js';

function installedAmqplibVersion(): string {
  // amqplib's `exports` does not expose package.json: find it beside its entry point.
  let dir = dirname(createRequire(import.meta.url).resolve('amqplib'));
  for (;;) {
    try {
      return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      if (dirname(dir) === dir) throw new Error('amqplib package.json not found');
      dir = dirname(dir);
    }
  }
}

describe('amqplib fast paths', () => {
  it('amqplib is pinned to the minor the fast paths were tested on', () => {
    const pkg = JSON.parse(readFileSync('runtime/package.json', 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pkg.dependencies['amqplib']).toBe('~2.3.1');
    expect(installedAmqplibVersion()).toMatch(/^2\.3\./);
  });

  it('both fast paths engage on a real connection (neither falls back)', async () => {
    const model = await amqp.connect(SHARED_URL, { noDelay: true });
    try {
      const channel = await model.createConfirmChannel();
      expect(canSendDirectly(channel), 'fast-publish.ts fell back to channel.publish').toBe(true);
      expect(coalesceWrites(model.connection), 'coalesce.ts could not cork the socket').toBe(true);
      await channel.close();
    } finally {
      await model.close();
    }
  });
});
