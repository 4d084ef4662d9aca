#!/usr/bin/env node
/**
 * The information row of `npm run bench -- codegen`, run as a fresh `node` process: what a user might
 * script on the same schema files instead (it neither reads nor validates the AsyncAPI document):
 * json-schema-to-typescript `compileFromFile` of every payload schema (cwd = its folder, so relative
 * `$ref`s resolve) and ajv + ajv-formats compiling each, one Ajv instance holding every schema file.
 *
 *   node scripts/bench/jstt-ajv-generate.mjs <schemas-dir>
 *
 * Payload schemas are the .json files outside `_common/` whose names do not start with `_`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { compileFromFile } from 'json-schema-to-typescript';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule.default ?? addFormatsModule;
const [schemasDir] = process.argv.slice(2);
if (!schemasDir) {
  console.error('usage: jstt-ajv-generate.mjs <schemas-dir>');
  process.exit(2);
}

/** @param {string} dir @returns {string[]} */
function jsonFiles(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? jsonFiles(p) : p.endsWith('.json') ? [p] : [];
    });
}

const all = jsonFiles(schemasDir);
const payloads = all.filter(
  (p) =>
    !relative(schemasDir, p).split(/[\\/]/).includes('_common') &&
    !(p.split(/[\\/]/).pop() ?? '').startsWith('_'),
);
let failures = 0;
for (const file of payloads) {
  try {
    await compileFromFile(file, { cwd: dirname(file) });
  } catch {
    failures++;
  }
}
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const byFile = new Map();
for (const file of all) {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  byFile.set(file, json);
  ajv.addSchema(json);
}
for (const file of payloads) {
  try {
    ajv.compile(byFile.get(file));
  } catch {
    failures++;
  }
}
console.log(`${payloads.length} schemas${failures ? `, ${failures} failed` : ''}`);
