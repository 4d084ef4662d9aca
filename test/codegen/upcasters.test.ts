/** codegen finds upcasters/<key>.ts beside the document and refuses one that has nothing to upcast from. */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFiles } from '../../codegen/index.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bb-upcasters-'));
  dirs.push(dir);
  cpSync('test/fixtures/codegen/versioned', dir, { recursive: true });
  return dir;
}

describe('codegen upcasters', () => {
  it('wires each upcaster by a relative import from the output folder, typed by the generated types', async () => {
    const dir = copy();
    const { files } = await buildFiles(join(dir, 'asyncapi.yaml'), join(dir, 'out', 'gen'));
    const upcasters = files.find((f) => f.path === 'upcasters.ts')?.content ?? '';
    expect(upcasters).toContain("from '../../upcasters/shop.order.placed.v2.js'");
    expect(upcasters).toContain('(old: ShopOrderPlacedPayload) => ShopOrderPlacedV2PayloadInput');
    expect(files.find((f) => f.path === 'catalog.ts')?.content).toContain(
      "olderVersion: 'shop.order.placed'",
    );
    expect(files.find((f) => f.path === 'registry.ts')?.content).toContain(', upcasters);');
  });

  it('rejects an upcaster for a key that supersedes nothing, naming the file', async () => {
    const dir = copy();
    writeFileSync(
      join(dir, 'upcasters', 'shop.order.shipped.ts'),
      'export const upcast = (o: unknown) => o;\n',
    );
    await expect(buildFiles(join(dir, 'asyncapi.yaml'))).rejects.toThrow(
      /upcasters\/shop\.order\.shipped\.ts: shop\.order\.shipped supersedes no older version/,
    );
  });

  it('rejects an upcaster named after no channel', async () => {
    const dir = copy();
    writeFileSync(
      join(dir, 'upcasters', 'shop.order.lost.v2.ts'),
      'export const upcast = (o: unknown) => o;\n',
    );
    await expect(buildFiles(join(dir, 'asyncapi.yaml'))).rejects.toThrow(
      /upcasters\/shop\.order\.lost\.v2\.ts: no channel has the routing key shop\.order\.lost\.v2/,
    );
  });
});
