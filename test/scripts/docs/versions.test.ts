/** The docs site shows, on each event page, the event's versions and what changed between them. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDocs } from '../../../scripts/docs/build.js';

const out = mkdtempSync(join(tmpdir(), 'bb-docs-versions-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('docs site versions', () => {
  it('lists v1 and v2 on both pages, with the payload changes from v1 to v2', async () => {
    await buildDocs('test/fixtures/codegen/versioned/asyncapi.yaml', out);
    const v2 = readFileSync(join(out, 'events', 'shop.order.placed.v2.html'), 'utf8');
    const v1 = readFileSync(join(out, 'events', 'shop.order.placed.html'), 'utf8');
    for (const html of [v1, v2]) {
      expect(html).toContain('<h2>Versions</h2>');
      expect(html).toMatch(/shop\.order\.placed<\/code>(<\/a>|<\/b> \(this page\)) — deprecated/);
      // v1 → v2: total_cents removed, total added (required, no default): rules with their pointers.
      expect(html).toMatch(/<code>\/total_cents<\/code> <code>required-property-removed<\/code>/);
      expect(html).toMatch(/<code>\/total<\/code> <code>required-property-added<\/code>/);
    }
    expect(v2).toContain('<b><code>shop.order.placed.v2</code></b> (this page)');
    const shipped = readFileSync(join(out, 'events', 'shop.order.shipped.html'), 'utf8');
    expect(shipped).not.toContain('<h2>Versions</h2>');
  });
});
