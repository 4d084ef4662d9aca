#!/usr/bin/env node
/**
 * The Modelina side of `npm run bench -- codegen`, run as a fresh `node` process per measurement:
 * what an AsyncAPI user runs instead of our codegen (as `asyncapi generate models typescript` does):
 * @asyncapi/parser parses and validates the document (relative `$ref`s resolved from its file), then
 * @asyncapi/modelina's TypeScriptFileGenerator writes one model file per schema into <out>.
 *
 *   node scripts/bench/modelina-generate.mjs <asyncapi.yaml> <out-dir>
 *
 * Prints `<models> models` on success; exit 2 when the parser rejects the document.
 */
import { Parser, fromFile } from '@asyncapi/parser';
import { TypeScriptFileGenerator } from '@asyncapi/modelina';

const [input, out] = process.argv.slice(2);
if (!input || !out) {
  console.error('usage: modelina-generate.mjs <asyncapi.yaml> <out-dir>');
  process.exit(2);
}
const { document, diagnostics } = await fromFile(new Parser(), input).parse();
if (!document) {
  for (const d of diagnostics.filter((x) => x.severity === 0))
    console.error(`${d.path.join('/')}: ${d.message}`);
  process.exit(2);
}
const generator = new TypeScriptFileGenerator({ modelType: 'interface' });
const models = await generator.generateToFiles(document, out, { exportType: 'named' }, true);
console.log(`${models.length} models`);
