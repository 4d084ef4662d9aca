/**
 * write / check: put generated files on disk, or compare them with what is there. A manifest of what
 * generated the output (codegen's sources, the installed versions of the packages that shape it), of the
 * inputs' and of the outputs' hashes lets `--check` answer without regenerating when nothing changed;
 * `--check --full` never trusts it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GeneratedFile } from './generate.js';

export const MANIFEST = '.manifest.json';
/** codegen/contract/lock.ts's snapshot: never removed as stale, never part of the manifest. */
export const CONTRACT_LOCK = 'contract.lock.json';

/**
 * The packages codegen loads to produce its output or its verdict on the input: the emitter (ts-morph),
 * the validator compiler (ajv, ajv-formats), the YAML reader and @asyncapi/parser. Their installed versions,
 * and those of everything they depend on, are part of the manifest's key. A test checks that codegen
 * imports no other package (chokidar, used by `--watch` only, is the exception).
 */
export const OUTPUT_PACKAGES = [
  '@asyncapi/avro-schema-parser',
  '@asyncapi/parser',
  '@stoplight/spectral-parsers',
  'ajv',
  'ajv-formats',
  'js-yaml',
  'ts-morph',
  'yaml',
] as const;

export interface Manifest {
  /**
   * Key of what generated the output: codegen's own sources and the installed versions of
   * OUTPUT_PACKAGES and of their dependencies (see generatorHash).
   */
  readonly generator: string;
  /** OUTPUT_PACKAGES → installed version, for a reader of the manifest (the key covers their dependencies too). */
  readonly packages: Readonly<Record<string, string>>;
  /** Input files (relative to the input document's folder) → sha256. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Output files (relative to out) → sha256. */
  readonly outputs: Readonly<Record<string, string>>;
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The folder of codegen's package.json (the repository, or the installed package). */
export function packageRoot(): string {
  let root = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
  return root;
}

interface PackageJson {
  readonly name?: string;
  readonly version?: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

/** Installed packages as Node finds them: each `node_modules` folder from the requiring package's up. */
class Installed {
  private readonly manifests = new Map<string, PackageJson | null>();

  /** The package.json in `dir`, or null. */
  read(dir: string): PackageJson | null {
    let pkg = this.manifests.get(dir);
    if (pkg === undefined) {
      const file = join(dir, 'package.json');
      pkg = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PackageJson) : null;
      this.manifests.set(dir, pkg);
    }
    return pkg;
  }

  /** The folder of package `name` as required from the folder `from`, or null when it is not installed. */
  find(name: string, from: string): string | null {
    for (let dir = from; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name);
      if (basename(dir) !== 'node_modules' && this.read(candidate)) return candidate;
      if (dirname(dir) === dir) return null;
    }
  }
}

/**
 * `name@version` of every installed package that `names` (required from `root`) load, themselves and their
 * dependencies, transitively, read from their installed package.json (what runs, whatever a lockfile
 * says). Sorted, without paths: the same installation gives the same list on every machine.
 */
export function installedVersions(root: string, names: readonly string[]): string[] {
  const installed = new Installed();
  const seen = new Set<string>();
  const versions = new Set<string>();
  const queue = names.map((name) => ({ name, from: root }));
  for (let next = queue.pop(); next; next = queue.pop()) {
    const dir = installed.find(next.name, next.from);
    if (dir === null) {
      // A missing dependency is part of the key too.
      versions.add(`${next.name}@missing`);
      continue;
    }
    if (seen.has(dir)) continue;
    seen.add(dir);
    const pkg = installed.read(dir) as PackageJson;
    versions.add(`${pkg.name ?? next.name}@${pkg.version ?? ''}`);
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: dir });
    // An optional dependency that is not installed (another platform's binary) is no difference.
    for (const dep of Object.keys(pkg.optionalDependencies ?? {}))
      if (installed.find(dep, dir) !== null) queue.push({ name: dep, from: dir });
  }
  return [...versions].sort();
}

/** OUTPUT_PACKAGES → their installed version, as codegen (from `root`) loads them. */
export function outputPackageVersions(root: string = packageRoot()): Record<string, string> {
  const installed = new Installed();
  return Object.fromEntries(
    OUTPUT_PACKAGES.map((name) => {
      const dir = installed.find(name, root);
      return [name, (dir && installed.read(dir)?.version) ?? 'missing'];
    }),
  );
}

const generatorHashMemo = new Map<string, string>();
/**
 * sha256 over what generates the output: codegen's own sources (and the narrow runtime entry whose helpers
 * validators use), the same whether codegen runs from source (tsx) or from dist/ — an installed package
 * without sources hashes its name and version instead — and installedVersions of OUTPUT_PACKAGES.
 */
export function generatorHash(root: string = packageRoot()): string {
  const known = generatorHashMemo.get(root);
  if (known) return known;
  const h = createHash('sha256');
  // In the repository the package is the codegen/ workspace beside runtime/ (paths hashed as codegen/…).
  const repo = dirname(root);
  if (existsSync(join(root, 'generate.ts'))) {
    const walk = (dir: string) => {
      for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name);
        if (name === 'node_modules' || name === 'dist') continue;
        if (statSync(p).isDirectory()) walk(p);
        else if (name.endsWith('.ts')) h.update(relative(repo, p)).update(readFileSync(p));
      }
    };
    walk(root);
    h.update(readFileSync(join(repo, 'runtime', 'codegen-runtime.ts')));
    h.update(readFileSync(join(repo, 'runtime', 'validation.ts')));
  } else {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
    h.update(`${pkg.name ?? ''}@${pkg.version ?? ''}`);
    // The runtime package whose entry the validators use (bloodbank/codegen-runtime), as installed.
    const runtime = new Installed().find('bloodbank', root);
    const runtimePkg = runtime === null ? null : new Installed().read(runtime);
    h.update(`bloodbank@${runtimePkg?.version ?? 'missing'}`);
  }
  for (const version of installedVersions(root, OUTPUT_PACKAGES)) h.update('\0').update(version);
  const hash = h.digest('hex');
  generatorHashMemo.set(root, hash);
  return hash;
}

export function hashInputs(root: string, files: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of [...files].sort()) out[relative(root, f)] = sha256(readFileSync(f));
  return out;
}

export function buildManifest(inputs: Record<string, string>, files: readonly GeneratedFile[]): Manifest {
  return {
    generator: generatorHash(),
    packages: outputPackageVersions(),
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
