/**
 * Regenerate the committed output of every codegen fixture (test/fixtures/codegen/<name>/generated).
 * A fixture's document is its `asyncapi.yaml`, `asyncapi.yml` or `asyncapi.json`. A fixture that does not
 * generate is reported with codegen's message and the others still run; the exit code is then 1.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCodegen } from '../codegen/index.js';

const root = 'test/fixtures/codegen';
/** The document of fixture `dir`, or null when it has none. */
function fixtureDocument(dir: string): string | null {
  for (const name of ['asyncapi.yaml', 'asyncapi.yml', 'asyncapi.json']) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

let failed = 0;
for (const name of readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()) {
  const dir = join(root, name);
  const input = fixtureDocument(dir);
  if (input === null) {
    console.error(`${dir}: no asyncapi.yaml, asyncapi.yml or asyncapi.json`);
    failed++;
    continue;
  }
  try {
    const { changed } = await runCodegen({ input, out: join(dir, 'generated') });
    console.log(`${dir}: ${changed.length} file(s) changed`);
  } catch (error) {
    console.error(`${dir}: ${(error as Error).message}`);
    failed++;
  }
}
if (failed > 0) {
  console.error(`${failed} fixture(s) did not generate`);
  process.exitCode = 1;
}
