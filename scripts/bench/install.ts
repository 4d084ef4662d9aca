/**
 * `npm run bench -- install`: what a user's `npm install` costs (issue 13; printed, not asserted). Packs the
 * three packages and installs the tarballs, production dependencies only, into new folders outside this
 * tree (from npm's cache; the registry only for what the cache lacks): the runtime alone (target ≤ 15 MB,
 * ≤ 40 packages), runtime + codegen, everything. Size is `du` of node_modules; packages are the folders
 * with a package.json in it, nested ones included.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskBytes, installFromCache, installedPackages, newProject, packAll } from '../packages.js';

export interface InstallRow {
  readonly install: string;
  readonly MB: number;
  readonly packages: number;
  readonly target: string;
  readonly scarf: string;
  readonly fromCacheOnly: boolean;
}

export async function benchInstall(options: { log: (line: string) => void }): Promise<InstallRow[]> {
  const work = mkdtempSync(join(tmpdir(), 'bb-bench-install-'));
  try {
    options.log('  packing bloodbank, bloodbank-codegen, bloodbank-apps …');
    const t = packAll(work);
    const cases: Array<{ install: string; tarballs: string[]; target: string }> = [
      { install: 'bloodbank (runtime alone)', tarballs: [t.runtime], target: '≤ 15 MB, ≤ 40 packages' },
      { install: 'bloodbank + bloodbank-codegen', tarballs: [t.runtime, t.codegen], target: '' },
      { install: 'everything (+ bloodbank-apps)', tarballs: [t.runtime, t.codegen, t.apps], target: '' },
    ];
    const rows: InstallRow[] = [];
    for (const [i, c] of cases.entries()) {
      const dir = join(work, `case-${i}`);
      mkdirSync(dir);
      newProject(dir, `bench-install-${i}`);
      options.log(`  npm install --omit=dev ${c.install} …`);
      const r = installFromCache(dir, c.tarballs, ['--omit=dev', '--ignore-scripts']);
      const nodeModules = join(dir, 'node_modules');
      const installed = installedPackages(nodeModules);
      rows.push({
        install: c.install,
        MB: Math.round(diskBytes(nodeModules) / 1e5) / 10,
        packages: installed.length,
        target: c.target,
        scarf: installed.some((p) => p.startsWith('@scarf/scarf@')) ? 'present (opted out)' : 'absent',
        fromCacheOnly: r.offline,
      });
    }
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
