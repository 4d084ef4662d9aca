/**
 * Upcasters: hand-written `upcasters/<routing key>.ts` beside the AsyncAPI document, each exporting
 * `upcast(old: <older payload>): <newer publish input>` for a versioned key (`x.y.v2` upcasts from `x.y`).
 *
 * Codegen finds them (`findUpcasters`) and emits `generated/upcasters.ts`, which imports each module by a
 * relative path from the output folder to the catalogue's `upcasters/` and checks its signature against
 * the generated types; the registry carries them to the runtime, and the catalogue marks the newer key
 * with `olderVersion`, which is what makes `subscribe(key, h, { acceptOlder: true })` compile.
 * Importing (rather than registering at run time) means a subscriber needs nothing beyond the generated
 * registry, and a missing or mistyped upcaster is a compile error in generated/, not a surprise at run time.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CodegenError } from 'bloodbank/errors/codegen-error.js';
import { eventVersions } from '../contract/versions.js';
import type { Model } from '../model.js';

/** One upcaster module: `from` (older key) → `to` (newer key), imported as `specifier` from the output. */
export interface UpcasterSource {
  readonly from: string;
  readonly to: string;
  readonly specifier: string;
}

/** The folder upcasters live in: `upcasters/` beside the document. */
export function upcastersDir(input: string): string {
  return join(dirname(resolve(input)), 'upcasters');
}

/** Every `upcasters/<key>.ts` of the document `input`, checked against the model's version chains. */
export function findUpcasters(input: string, out: string, model: Model): UpcasterSource[] {
  const dir = upcastersDir(input);
  if (!existsSync(dir)) return [];
  const versions = eventVersions(model);
  const found: UpcasterSource[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.ts') || name.endsWith('.d.ts')) continue;
    const to = name.slice(0, -'.ts'.length);
    const file = `upcasters/${name}`;
    if (!model.events.some((e) => e.key === to))
      throw new CodegenError(
        file,
        '',
        `no channel has the routing key ${to} (name the file after the newer version)`,
      );
    const from = versions.get(to)?.supersedes;
    if (!from)
      throw new CodegenError(
        file,
        '',
        `${to} supersedes no older version: nothing to upcast from (expected a key ending in .v2, .v3, …)`,
      );
    let specifier = relative(resolve(out), join(dir, `${to}.js`))
      .split(sep)
      .join('/');
    if (!specifier.startsWith('.')) specifier = `./${specifier}`;
    found.push({ from, to, specifier });
  }
  return found;
}
