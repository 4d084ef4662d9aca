#!/usr/bin/env node
/**
 * `npm run codegen`: runs the compiled generator (codegen/dist/, ~0.2 s to start) when it is at least as new as
 * its sources, else the TypeScript sources through tsx (~1 s more to start). Same flags either way.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'dist' || name === 'node_modules') continue;
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : name.endsWith('.ts') ? s.mtimeMs : 0);
  }
  return t;
}

const compiled = 'codegen/dist/cli.js';
const fresh =
  existsSync(compiled) &&
  statSync(compiled).mtimeMs >= Math.max(newest('codegen'), newest('runtime')) &&
  existsSync('runtime/dist/codegen-runtime.js');
const args = process.argv.slice(2);
const [cmd, argv] = fresh
  ? [process.execPath, [compiled, ...args]]
  : [process.execPath, ['--import', 'tsx', '--conditions=bloodbank-source', 'codegen/cli.ts', ...args]];
const r = spawnSync(cmd, argv, { stdio: 'inherit' });
process.exit(r.status ?? 1);
