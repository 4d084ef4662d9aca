/**
 * The workspace packages as a user gets them (issue 13): packed with `npm pack` and installed from the
 * tarballs into a new folder outside this tree. Used by the outside-in test
 * (test/packages/outside-in.test.ts) and `npm run bench -- install`.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');

/** Workspace folder → package name; in dependency order. */
export const PACKAGES = {
  runtime: 'bloodbank',
  codegen: 'bloodbank-codegen',
  apps: 'bloodbank-apps',
} as const;
export type PackageFolder = keyof typeof PACKAGES;

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * An environment for child npm/node processes: this process's, minus what a surrounding vitest or npm
 * run sets (a child vitest must not think it is a worker; npm must not inherit our workspace's config).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VITEST|TINYPOOL|npm_|NODE_OPTIONS$|INIT_CWD$|TEST$|NODE_ENV$)/i.test(k)) continue;
    env[k] = v;
  }
  return {
    ...env,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...extra,
  };
}

export function run(command: string, args: readonly string[], cwd: string, env = cleanEnv()): Run {
  const r: SpawnSyncReturns<string> = spawnSync(command, args, {
    cwd,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function mustRun(command: string, args: readonly string[], cwd: string, env = cleanEnv()): Run {
  const r = run(command, args, cwd, env);
  if (r.status !== 0)
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

function newestSource(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) t = Math.max(t, newestSource(p));
    else if (/\.tsx?$/.test(entry.name) || entry.name === 'package.json')
      t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** Builds every package (node scripts/build.mjs) when a dist/ is missing or older than the sources. */
export function ensurePackagesBuilt(): void {
  const entries = [
    join(ROOT, 'runtime/dist/index.js'),
    join(ROOT, 'codegen/dist/cli.js'),
    join(ROOT, 'apps/dist/apps/cli/main.js'),
  ];
  const oldest = Math.min(...entries.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
  const newest = Math.max(
    ...['runtime', 'codegen', 'apps', 'generated'].map((d) => newestSource(join(ROOT, d))),
  );
  if (oldest >= newest) return;
  // tsc emits even when another part of the tree has a type error; a missing entry is what fails.
  run(process.execPath, [join(ROOT, 'scripts/build.mjs')], ROOT);
  for (const f of entries) if (!existsSync(f)) throw new Error(`node scripts/build.mjs did not build ${f}`);
}

/** `npm pack` of each package into `dest` (built first when stale); folder → tarball path. */
export function packAll(dest: string): Record<PackageFolder, string> {
  ensurePackagesBuilt();
  const out = {} as Record<PackageFolder, string>;
  for (const folder of Object.keys(PACKAGES) as PackageFolder[]) {
    // The build above is what prepack would run; --ignore-scripts avoids building three times.
    const r = mustRun(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', dest],
      join(ROOT, folder),
    );
    const [info] = JSON.parse(r.stdout) as Array<{ filename: string }>;
    if (!info) throw new Error(`npm pack in ${folder} printed no file`);
    out[folder] = join(dest, info.filename);
  }
  return out;
}

/** A new project folder with a package.json of its own (no scarfSettings: the packages must opt out). */
export function newProject(dir: string, name: string): void {
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
}

/**
 * `npm install <specs>` in `dir` from npm's cache (`--offline`); when something is not cached yet, once
 * more with `--prefer-offline` (the registry only for what the cache lacks). Returns the output and
 * whether the cache alone sufficed.
 */
export function installFromCache(
  dir: string,
  specs: readonly string[],
  flags: readonly string[] = [],
  env = cleanEnv(),
): Run & { readonly offline: boolean } {
  const args = ['install', '--no-audit', '--no-fund', ...flags, ...specs];
  const offline = run('npm', [...args, '--offline'], dir, env);
  if (offline.status === 0) return { ...offline, offline: true };
  if (!/ENOTCACHED|only-if-cached/.test(offline.stdout + offline.stderr))
    throw new Error(`npm install --offline failed in ${dir}\n${offline.stdout}\n${offline.stderr}`);
  const online = mustRun('npm', [...args, '--prefer-offline'], dir, env);
  return { ...online, offline: false };
}

/** Bytes on disk under `dir` (what `du -s` counts: allocated blocks, symlinks not followed). */
export function diskBytes(dir: string): number {
  const r = run('du', ['-s', '-B1', dir], dir);
  if (r.status === 0) return Number(r.stdout.split(/\s/)[0]);
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    total += entry.isDirectory() ? diskBytes(p) : lstatSync(p).size;
  }
  return total;
}

/** Installed packages under a node_modules folder: every folder with a package.json, nested ones too. */
export function installedPackages(nodeModules: string): string[] {
  const out: string[] = [];
  if (!existsSync(nodeModules)) return out;
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const dirs = entry.name.startsWith('@')
      ? readdirSync(join(nodeModules, entry.name)).map((n) => join(nodeModules, entry.name, n))
      : [join(nodeModules, entry.name)];
    for (const dir of dirs) {
      const pkg = join(dir, 'package.json');
      if (!existsSync(pkg)) continue;
      const { name, version } = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
      out.push(`${name ?? dir}@${version ?? ''}`);
      out.push(...installedPackages(join(dir, 'node_modules')));
    }
  }
  return out.sort();
}
