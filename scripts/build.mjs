#!/usr/bin/env node
/**
 * `npm run build`: compiles each workspace package into its own dist/, in dependency order — runtime/
 * (bloodbank), codegen/ (bloodbank-codegen), apps/ (bloodbank-apps, with the catalogue compiled in as bb's
 * default registry) — then the catalogue itself (generated/ → dist/generated/). Each later package reads
 * the earlier ones' declarations from their dist/. tsc emits even when a file has a type error; every
 * project is built and the exit code is 1 if any reported one.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
let failed = false;
for (const project of ['runtime', 'codegen', 'apps', '.']) {
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, project, 'tsconfig.build.json')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    console.error(`build: tsc -p ${project}/tsconfig.build.json exited ${r.status ?? r.signal}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
