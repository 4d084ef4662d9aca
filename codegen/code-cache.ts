/**
 * A V8 code cache for the big CommonJS files codegen loads (ts-morph bundles 12 MB of JavaScript with its
 * TypeScript copy): Node 20 has no `module.enableCompileCache()` (22.1+), so `requireCached` compiles those
 * files itself with `vm.Script` and `cachedData`, as v8-compile-cache does. The cache is written once,
 * after codegen ran (`flushCodeCache`), so it also holds the functions codegen used, and is keyed by
 * file, size, mtime and the Node/V8 version; V8 rejects data it cannot use and the file is then compiled
 * as usual and the cache rewritten. Same directory as the parser's cache (BLOODBANK_CODEGEN_CACHE).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Module from 'node:module';
import { basename, dirname, join, sep } from 'node:path';
import { Script } from 'node:vm';
import { threadId } from 'node:worker_threads';

/** Files below this size compile fast enough as they are. */
const MIN_BYTES = 256 * 1024;

interface Pending {
  readonly script: Script;
  readonly file: string;
}
const pending: Pending[] = [];

interface CompilableModule {
  exports: unknown;
  require(id: string): unknown;
  _compile(content: string, filename: string): unknown;
}
interface ModuleInternals {
  prototype: CompilableModule;
  wrap(content: string): string;
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _cache: unknown;
}

/**
 * `node_modules/.cache/bloodbank-codegen` of the node_modules folder that holds `resolved` (a resolved
 * dependency path); `BLOODBANK_CODEGEN_CACHE=<dir>` moves it, `=off` turns caching off (null).
 */
export function codegenCacheDir(resolved: string): string | null {
  const setting = process.env['BLOODBANK_CODEGEN_CACHE'];
  if (setting === 'off' || setting === '0') return null;
  if (setting) return setting;
  const marker = `${sep}node_modules${sep}`;
  const at = resolved.lastIndexOf(marker);
  return at < 0 ? null : join(resolved.slice(0, at + marker.length), '.cache', 'bloodbank-codegen');
}

/** `v8-<file>-<version>.bin`: one entry per file; a new version replaces the old (pruneSiblings). */
function cacheFile(dir: string, filename: string): string {
  const s = statSync(filename);
  const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
  const version = hash(
    `${s.size}\0${s.mtimeMs}\0${process.version}\0${process.versions.v8}\0${process.arch}`,
  );
  return join(dir, `v8-${hash(filename)}-${version}.bin`);
}

/** Remove older entries of the same file (same name up to the last `-`). */
function pruneSiblings(file: string): void {
  const name = basename(file);
  const prefix = name.slice(0, name.lastIndexOf('-') + 1);
  for (const other of readdirSync(dirname(file))) {
    if (other !== name && other.startsWith(prefix) && other.endsWith('.bin'))
      rmSync(join(dirname(file), other), { force: true });
  }
}

/** What Node's own `Module.prototype._compile` does, with the code cache. */
function compileCached(
  mod: CompilableModule,
  content: string,
  filename: string,
  dir: string,
  M: ModuleInternals,
  main: unknown,
): unknown {
  const file = cacheFile(dir, filename);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(file);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(M.wrap(content.startsWith('#!') ? `//${content}` : content), {
    filename,
    ...(cachedData ? { cachedData } : {}),
  });
  if (!cachedData || script.cachedDataRejected === true) pending.push({ script, file });
  const moduleRequire = Object.assign((id: string) => mod.require(id), {
    resolve: (request: string, options?: unknown) => M._resolveFilename(request, mod, false, options),
    cache: M._cache,
    main,
  });
  const fn = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
  return fn.call(mod.exports, mod.exports, moduleRequire, mod, filename, dirname(filename));
}

/**
 * `require(specifier)` from `from` (a file URL or path), compiling every file of at least 256 KB that it
 * loads with the code cache in `dir` (`null`: plain require).
 */
export function requireCached(specifier: string, from: string, dir: string | null): unknown {
  const req = createRequire(from);
  if (dir === null) return req(specifier);
  const M = Module as unknown as ModuleInternals;
  const original = M.prototype._compile;
  M.prototype._compile = function compile(this: CompilableModule, content: string, filename: string) {
    if (content.length < MIN_BYTES || !filename.endsWith('.js'))
      return original.call(this, content, filename);
    return compileCached(this, content, filename, dir, M, req.main);
  };
  try {
    return req(specifier);
  } finally {
    M.prototype._compile = original;
  }
}

/** Write the code cache of files compiled without one (first run, or rejected data). Never throws. */
export function flushCodeCache(): void {
  for (const { script, file } of pending.splice(0)) {
    try {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}-${threadId}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, file);
      pruneSiblings(file);
    } catch {
      // a read-only cache directory: nothing cached
    }
  }
}
