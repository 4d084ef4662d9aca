/**
 * The codegen fixtures (test/fixtures/codegen/<name>/): each folder holds one AsyncAPI document,
 * `asyncapi.yaml`, `asyncapi.yml` or `asyncapi.json`, and its committed output in `generated/`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES_ROOT = 'test/fixtures/codegen';

export interface CodegenFixture {
  readonly name: string;
  /** The fixture folder, relative to the repository root. */
  readonly dir: string;
  /** Its AsyncAPI document. */
  readonly document: string;
  /** Its committed output. */
  readonly generated: string;
}

const DOCUMENT_NAMES = ['asyncapi.yaml', 'asyncapi.yml', 'asyncapi.json'];

/** Every fixture, sorted by name; a folder without a document throws (a fixture must have one). */
export function codegenFixtures(): CodegenFixture[] {
  return readdirSync(FIXTURES_ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = join(FIXTURES_ROOT, name);
      const file = DOCUMENT_NAMES.find((f) => existsSync(join(dir, f)));
      if (file === undefined) throw new Error(`${dir}: no ${DOCUMENT_NAMES.join(', ')}`);
      return { name, dir, document: join(dir, file), generated: join(dir, 'generated') };
    });
}
