#!/usr/bin/env node
/**
 * Rewrites imports that cross a workspace package's border into imports by package name (issue 13):
 * a relative `../../runtime/amqp/history.js` in codegen/ or apps/ becomes `bloodbank/amqp/history.js`,
 * `../../codegen/contract/cli.js` in apps/ becomes `bloodbank-codegen/contract/cli.js`. A relative path
 * out of a package breaks once the package is packed and installed elsewhere; a name resolves anywhere.
 *
 *   node scripts/workspace-imports.mjs          rewrite in place, print each file changed
 *   node scripts/workspace-imports.mjs --check  change nothing; exit 1 and list the imports left to rewrite
 *
 * Idempotent: a second run finds nothing. Imports of generated/ from apps/ stay relative (apps compiles the
 * catalogue in as bb's default registry); test/ and scripts/ are not packages and keep relative imports.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** folder → package name, with the module paths that have a named entry of their own. */
const PACKAGES = {
  runtime: {
    name: 'bloodbank',
    entries: { 'index.js': '', 'memory/index.js': '/testing', 'codegen-runtime.js': '/codegen-runtime' },
  },
  codegen: { name: 'bloodbank-codegen', entries: { 'index.js': '' } },
};
/** The packages whose sources are rewritten, and which other packages each may import. */
const IMPORTERS = { codegen: ['runtime'], apps: ['runtime', 'codegen'] };

// `from '…'`, `import '…'`, `import('…')`, `export … from '…'`, `vi.mock('…')`-free: only module specifiers.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.\.?\/[^'"\n]*)\2/g;

function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|tsx|mts|mjs|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The package-name specifier for `spec` imported from `file` in package `from`, or null to keep it. */
export function rewrite(from, file, spec) {
  const target = relative(ROOT, resolve(dirname(file), spec)).split(sep);
  const folder = target[0];
  if (folder === from || !IMPORTERS[from]?.includes(folder)) return null;
  const pkg = PACKAGES[folder];
  const rest = target.slice(1).join('/');
  if (rest in pkg.entries) return pkg.name + pkg.entries[rest];
  return `${pkg.name}/${rest}`;
}

const check = process.argv.includes('--check');
const left = [];
const changed = [];
for (const from of Object.keys(IMPORTERS)) {
  const dir = join(ROOT, from);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
  for (const file of sourceFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    const next = text.replace(SPECIFIER, (whole, lead, quote, spec) => {
      const named = rewrite(from, file, spec);
      if (named === null) return whole;
      left.push(`${relative(ROOT, file)}: ${spec} → ${named}`);
      return `${lead}${quote}${named}${quote}`;
    });
    if (next !== text && !check) {
      writeFileSync(file, next);
      changed.push(file);
      console.log(`rewrote ${relative(ROOT, file)}`);
    }
  }
}
if (check && left.length > 0) {
  console.error(
    `imports across packages by relative path (run node scripts/workspace-imports.mjs):\n${left.join('\n')}`,
  );
  process.exit(1);
}
// A shorter specifier can change how prettier wraps the import: format what was rewritten.
if (changed.length > 0) {
  const prettier = await import('prettier');
  for (const file of changed) {
    const options = (await prettier.resolveConfig(file)) ?? {};
    const text = readFileSync(file, 'utf8');
    const formatted = await prettier.format(text, { ...options, filepath: file });
    if (formatted !== text) writeFileSync(file, formatted);
  }
}
