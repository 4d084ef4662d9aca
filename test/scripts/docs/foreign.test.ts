/**
 * The docs site of a document we did not write (issue 17 point 2): an entry per message named as the
 * registry names it (channel id, `channelId.messageId` for a channel with several messages), each page
 * showing the address with its parameters (enum, default, description), the headers and operations.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDocs } from '../../../scripts/docs/build.js';

const out = mkdtempSync(join(tmpdir(), 'bb-docs-foreign-'));
beforeAll(async () => {
  await buildDocs('test/fixtures/apps/foreign-asyncapi.yaml', out);
}, 60_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));
const page = (key: string) => readFileSync(join(out, 'events', `${key}.html`), 'utf8');

describe('docs site of a foreign document', () => {
  it('has a page per message, named channelId.messageId on a channel with two', () => {
    const occupied = page('spotChanged.occupied');
    expect(occupied).toContain('<dt>Channel</dt><dd><code>spotChanged</code></dd>');
    expect(occupied).toContain('<dt>Message</dt><dd><code>occupied</code></dd>');
    expect(page('spotChanged.freed')).toContain('<code>spotChanged.freed</code>');
  });

  it('shows the address and its parameters with enum, default, description and examples', () => {
    const html = page('spotChanged.occupied');
    expect(html).toContain('<dt>Address</dt><dd><code>garage/{level}/spot/{spotId}/changed</code></dd>');
    expect(html).toContain(
      '<tr><td><code>level</code></td><td><code>p1</code>, <code>p2</code></td><td><code>p1</code></td><td>Floor of the garage.</td></tr>',
    );
    expect(html).toMatch(/<code>spotId<\/code>.*Number painted on the spot\. <small>e\.g\. <code>17<\/code>/);
    expect(html).toContain('Published by');
    expect(html).toContain(
      '{ parameters: {&quot;level&quot;:&quot;p1&quot;,&quot;spotId&quot;:&quot;17&quot;} }',
    );
  });

  it('shows the headers of a message that declares them, and a null address', () => {
    expect(page('spotChanged.occupied')).toMatch(
      /<h2>Headers<\/h2>[\s\S]*x-camera[\s\S]*Camera that saw the car\./,
    );
    expect(page('spotChanged.freed')).not.toContain('<h2>Headers</h2>');
    const barrier = page('barrier');
    expect(barrier).toContain('(address: null — the publisher names the key)');
    expect(barrier).toContain('Consumed by');
  });
});
