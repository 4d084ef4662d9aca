/** Regenerate the committed output of every codegen fixture (test/fixtures/codegen/<name>/generated). */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCodegen } from '../codegen/index.js';

const root = 'test/fixtures/codegen';
for (const name of readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()) {
  const dir = join(root, name);
  const { changed } = await runCodegen({ input: join(dir, 'asyncapi.yaml'), out: join(dir, 'generated') });
  console.log(`${dir}: ${changed.length} file(s) changed`);
}
