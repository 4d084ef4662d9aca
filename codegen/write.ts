/**
 * write / check: put generated files on disk, or compare them with what is there. A manifest of input and
 * output hashes lets `--check` answer without regenerating when nothing changed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GeneratedFile } from './generate.js';

export const MANIFEST = '.manifest.json';
/** codegen/contract/lock.ts's snapshot: never removed as stale, never part of the manifest. */
export const CONTRACT_LOCK = 'contract.lock.json';

export interface Manifest {
  /** Hash of the generator's own source, so a codegen change invalidates the manifest. */
  readonly generator: string;
  /** Input files (relative to the input document's folder) → sha256. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Output files (relative to out) → sha256. */
  readonly outputs: Readonly<Record<string, string>>;
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

let generatorHashMemo: string | null = null;
/**
 * sha256 over codegen's own sources (and the narrow runtime entry whose helpers validators use), the same
 * whether codegen runs from source (tsx) or from dist/; an installed package without sources hashes its
 * name and version instead.
 */
export function generatorHash(): string {
  if (generatorHashMemo) return generatorHashMemo;
  let root = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
  const h = createHash('sha256');
  const sources = join(root, 'codegen');
  if (existsSync(join(sources, 'generate.ts'))) {
    const walk = (dir: string) => {
      for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (name.endsWith('.ts')) h.update(relative(root, p)).update(readFileSync(p));
      }
    };
    walk(sources);
    h.update(readFileSync(join(root, 'runtime', 'codegen-runtime.ts')));
    h.update(readFileSync(join(root, 'runtime', 'validation.ts')));
  } else {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      name?: string;
      version?: string;
    };
    h.update(`${pkg.name ?? ''}@${pkg.version ?? ''}`);
  }
  generatorHashMemo = h.digest('hex');
  return generatorHashMemo;
}

export function hashInputs(root: string, files: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of [...files].sort()) out[relative(root, f)] = sha256(readFileSync(f));
  return out;
}

export function buildManifest(inputs: Record<string, string>, files: readonly GeneratedFile[]): Manifest {
  return {
    generator: generatorHash(),
    inputs,
    outputs: Object.fromEntries(files.map((f) => [f.path, sha256(f.content)])),
  };
}

export function manifestFile(manifest: Manifest): GeneratedFile {
  return { path: MANIFEST, content: `${JSON.stringify(manifest, null, 2)}\n` };
}

export function readManifest(out: string): Manifest | null {
  try {
    return JSON.parse(readFileSync(join(out, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return null;
  }
}

/** Files under `out` (relative paths), the manifest included. */
export function listOutput(out: string): string[] {
  const result: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      // The contract snapshot is kept by the contract gate (codegen/contract/lock.ts), not by write/check.
      else if (!(dir === out && name === CONTRACT_LOCK)) result.push(relative(out, p).split('\\').join('/'));
    }
  };
  walk(out);
  return result;
}

/** Write files, removing stale ones. Returns the paths that changed. */
export function writeFiles(out: string, files: readonly GeneratedFile[]): string[] {
  const changed: string[] = [];
  const wanted = new Set(files.map((f) => f.path));
  for (const stale of listOutput(out)) {
    if (!wanted.has(stale)) {
      rmSync(join(out, stale));
      changed.push(stale);
    }
  }
  for (const f of files) {
    const p = join(out, f.path);
    if (existsSync(p) && readFileSync(p, 'utf8') === f.content) continue;
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
    changed.push(f.path);
  }
  return changed.sort();
}

/** Paths that differ between `files` and the disk (missing, changed, or extra). */
export function diffFiles(out: string, files: readonly GeneratedFile[]): string[] {
  const stale: string[] = [];
  const wanted = new Set(files.map((f) => f.path));
  for (const f of files) {
    const p = join(out, f.path);
    if (!existsSync(p) || readFileSync(p, 'utf8') !== f.content) stale.push(f.path);
  }
  for (const extra of listOutput(out)) if (!wanted.has(extra)) stale.push(extra);
  return stale.sort();
}

/**
 * Fast path of `--check`: true when the manifest says these exact inputs produced these exact outputs
 * and every output on disk still has its recorded hash.
 */
export function manifestUpToDate(out: string, root: string): boolean {
  const manifest = readManifest(out);
  if (!manifest || manifest.generator !== generatorHash()) return false;
  for (const [rel, hash] of Object.entries(manifest.inputs)) {
    const p = join(root, rel);
    if (!existsSync(p) || sha256(readFileSync(p)) !== hash) return false;
  }
  const onDisk = listOutput(out).filter((p) => p !== MANIFEST);
  if (onDisk.length !== Object.keys(manifest.outputs).length) return false;
  for (const rel of onDisk) {
    const hash = manifest.outputs[rel];
    if (!hash || sha256(readFileSync(join(out, rel))) !== hash) return false;
  }
  return true;
}
