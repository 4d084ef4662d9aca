/**
 * Validators precompiled with ajv standalone: one strict publish validator and one tolerant consume
 * validator per event (DESIGN.md §5), as ESM whose `require()`s are rewritten to the narrow runtime entry.
 * Also checks every schema against the draft-07 meta-schema and every example against its schema.
 */
import { Ajv, _ } from 'ajv';
import type { AnySchemaObject, ErrorObject } from 'ajv';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CodegenError } from '../../runtime/errors/codegen-error.js';
import type { Model } from '../model.js';
import { isObject } from '../schema-store.js';
import type { Json, JsonObject, Location } from '../schema-store.js';
import { lenientDateTime } from '../../runtime/codegen-runtime.js';

const require = createRequire(import.meta.url);
const addFormats = (require('ajv-formats') as { default: (ajv: Ajv) => Ajv }).default;
const standaloneCode = (
  require('ajv/dist/standalone') as { default: (ajv: Ajv, refs: Record<string, string>) => string }
).default;

/** Specifiers that ajv output may `require()`; `bloodbank/codegen-runtime` serves each under the same key. */
export const AJV_RUNTIME_MODULES = [
  'ajv/dist/runtime/ucs2length',
  'ajv/dist/runtime/equal',
  'ajv/dist/runtime/uri',
  'ajv/dist/runtime/validation_error',
  'bloodbank/formats',
] as const;

export interface CompiledValidators {
  /** Module source (JavaScript) of the publish validators. */
  readonly publish: string;
  readonly consume: string;
  /** Export names, by routing key, plus `$envelope` for the envelope. */
  readonly exports: ReadonlyMap<string, string>;
}

function canonical(loc: Location): string {
  return `${loc.doc.uri}#${loc.pointer}`;
}

/** What ajv needs, as plain data (so a worker thread can compile a stage). */
export interface AjvInput {
  readonly docs: ReadonlyArray<{
    readonly uri: string;
    readonly display: string;
    readonly json: AnySchemaObject;
    readonly isSchema: boolean;
  }>;
  readonly roots: ReadonlyArray<{
    readonly id: string;
    readonly exportName: string;
    readonly ref: string;
    readonly display: string;
    readonly pointer: string;
    readonly eventKey: string | null;
  }>;
}

export function ajvInput(model: Model): AjvInput {
  const { store } = model;
  const roots: Array<AjvInput['roots'][number]> = [];
  const root = (id: string, exportName: string, loc: Location, eventKey: string | null) =>
    roots.push({
      id,
      exportName,
      ref: canonical(loc),
      display: store.display(loc.doc.file),
      pointer: loc.pointer,
      eventKey,
    });
  for (const e of model.events)
    root(`bloodbank:/payload/${e.key}`, e.names.base, store.deref(e.payload), e.key);
  if (model.envelope) root('bloodbank:/envelope', '$envelope', model.envelope, null);
  return {
    docs: store.docs().map((doc) => {
      const json = withoutAnnotations(store.forAjv(doc));
      // The AsyncAPI document is no JSON Schema: its own `id` (AsyncAPI 2.x/3.x) is no schema id.
      const main = doc === model.document;
      if (main && isObject(json)) delete json['id'];
      return {
        uri: doc.uri,
        display: store.display(doc.file),
        json: json as AnySchemaObject,
        isSchema: !main && !/\.ya?ml$/i.test(doc.file),
      };
    }),
    roots,
  };
}

/**
 * The ajv instances codegen compiles with (all with `strictNumbers`, so `Infinity`/`NaN` fail with the
 * field's pointer, and `ownProperties`, so `required: ["constructor"]` rejects `{}`):
 * - `publish`: strict, defaults applied;
 * - `consume`: tolerant (see tolerantSchema), naive timestamps accepted, defaults applied;
 * - `match` / `match-tolerant`: the branch matchers of the consume walk (runtime/validation.ts
 *   consumeValidator): like strict / tolerant with consume formats, but they never change data (no
 *   defaults), because they run while a branch is still being chosen.
 * None uses `removeAdditional`: ajv removes properties while it tries `oneOf`/`anyOf` branches, so a
 * rejected branch would leave a valid payload corrupted (DESIGN.md §5).
 */
export type Variant = 'publish' | 'consume' | 'match' | 'match-tolerant';

function makeAjv(variant: Variant, input: AjvInput): Ajv {
  const tolerant = variant === 'consume' || variant === 'match-tolerant';
  const checkMeta = variant === 'publish' || variant === 'consume';
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: variant === 'publish' || variant === 'consume',
    strict: false,
    strictNumbers: true,
    ownProperties: true,
    // Shared `$ref` targets become one function each instead of being inlined into every event.
    inlineRefs: false,
    code: {
      source: true,
      esm: true,
      // Readable, diffable output: one statement a line.
      lines: true,
      formats: _`require("bloodbank/formats").${variant === 'publish' ? _`publish` : _`consume`}`,
    },
  });
  addFormats(ajv);
  if (variant !== 'publish') {
    // The same format the generated code loads from bloodbank/codegen-runtime at run time.
    ajv.addFormat('date-time', lenientDateTime);
  }
  ajv.addKeyword('x-bloodbank-envelope');
  ajv.addKeyword('x-bloodbank-default');
  for (const doc of input.docs) {
    if (checkMeta && doc.isSchema && !ajv.validateSchema(doc.json)) {
      const e = (ajv.errors ?? [])[0] as ErrorObject | undefined;
      throw new CodegenError(
        doc.display,
        e?.instancePath ?? '',
        `invalid JSON Schema: ${e ? `${e.instancePath || '(root)'} ${e.message ?? e.keyword}` : 'rejected by the draft-07 meta-schema'}`,
      );
    }
    ajv.addSchema(
      (tolerant ? tolerantSchema(doc.json as Json) : doc.json) as AnySchemaObject,
      doc.uri,
      undefined,
      false,
    );
  }
  return ajv;
}

const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples', 'example']);
/** Keywords that do not validate: kept in schemas.ts and the docs, left out of validator code. */
const ANNOTATIONS = new Set(['title', 'description', 'examples', 'example', '$comment']);

/** A schema (or AsyncAPI document) without annotations, so ajv's output carries none of their text. */
export function withoutAnnotations(node: Json): Json {
  if (Array.isArray(node)) return node.map(withoutAnnotations);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) {
    if (ANNOTATIONS.has(k)) continue;
    if (DATA_KEYWORDS.has(k)) out[k] = v;
    else if (SCHEMA_MAPS.has(k) && isObject(v))
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, withoutAnnotations(s)]));
    else out[k] = withoutAnnotations(v);
  }
  return out;
}
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependencies']);

/**
 * The schema a tolerant reader checks: closed objects opened (`additionalProperties: false` dropped) and
 * `oneOf` read as `anyOf` (opened branches may overlap; the walk then prefers the branch that matches
 * strictly). `not` and `if` are left strict: opening them would narrow what is accepted, and the
 * tolerant validator must accept everything the strict one does. (A `$ref` from inside `not`/`if` sees
 * the opened target: no schema of ours or of the fixtures does that.)
 */
export function tolerantSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(tolerantSchema);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  let oneOf: Json[] | null = null;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'additionalProperties' && v === false) continue;
    if (DATA_KEYWORDS.has(k) || k === 'not' || k === 'if') out[k] = v;
    else if (k === 'oneOf' && Array.isArray(v)) oneOf = v.map(tolerantSchema);
    else if (SCHEMA_MAPS.has(k) && isObject(v))
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, tolerantSchema(s)]));
    else out[k] = tolerantSchema(v);
  }
  if (oneOf) {
    if (out['anyOf'] === undefined) out['anyOf'] = oneOf;
    else out['allOf'] = [...(Array.isArray(out['allOf']) ? out['allOf'] : []), { anyOf: oneOf }];
  }
  return out;
}

type Root = Pick<AjvInput['roots'][number], 'id' | 'exportName' | 'display' | 'pointer' | 'eventKey'> & {
  /** A `$ref` to the schema, or the schema itself (a boolean branch). */
  readonly ref: string | Json;
};

/**
 * Compile one stage to standalone ESM. `onCompiled` sees each event's validate function (publish uses
 * it to check the examples).
 */
export function compileStage(
  variant: Variant,
  input: AjvInput,
  onCompiled?: (eventKey: string, validate: (data: unknown) => boolean) => void,
  roots: readonly Root[] = input.roots,
): string {
  const ajv = makeAjv(variant, input);
  for (const r of roots)
    ajv.addSchema(
      typeof r.ref === 'string'
        ? { $id: r.id, $ref: r.ref }
        : { $id: r.id, ...(r.ref === false ? { not: {} } : isObject(r.ref) ? r.ref : {}) },
      undefined,
      undefined,
      false,
    );
  const refs: Record<string, string> = {};
  for (const r of roots) {
    let validate;
    try {
      validate = ajv.getSchema(r.id);
    } catch (cause) {
      throw new CodegenError(r.display, r.pointer, `cannot compile schema: ${(cause as Error).message}`, {
        cause,
      });
    }
    if (!validate) throw new CodegenError(r.display, r.pointer, 'cannot compile schema');
    if (onCompiled && r.eventKey !== null) onCompiled(r.eventKey, validate);
    refs[r.exportName] = r.id;
  }
  return rewriteRequires(standaloneCode(ajv, refs));
}

/** One branch matcher of a settle plan: its pointer in the bundled schema, where it comes from. */
export interface MatcherRoot {
  readonly exportName: string;
  /** JSON pointer in the bundled schema (the key the runtime looks it up by). */
  readonly pointer: string;
  readonly loc: Location | null;
  /** The bundled branch, used when it has no location (a boolean schema). */
  readonly literal: Json;
  /** Also compile a tolerant matcher (`oneOf`/`anyOf` branches; `if` needs only the strict one). */
  readonly tolerant: boolean;
}

export interface SettlePlanModel {
  readonly matchers: readonly MatcherRoot[];
  readonly branchDefaults: boolean;
}

/**
 * What the consume walk needs for one bundled schema, or null when it has nothing to do (no closed
 * object, no default inside a branch). Matchers only for composites whose branches hold work.
 */
export function settlePlanOf(
  bundled: JsonObject,
  locations: ReadonlyMap<string, Location>,
  exportBase: string,
): SettlePlanModel | null {
  const matchers: MatcherRoot[] = [];
  let closed = false;
  let branchDefaults = false;
  const resolve = (ref: string): Json | undefined => {
    let node: Json | undefined = bundled;
    for (const t of ref.replace(/^#/, '').split('/').slice(1)) {
      const token = t.replace(/~1/g, '/').replace(/~0/g, '~');
      node = isObject(node) ? node[token] : Array.isArray(node) ? node[Number(token)] : undefined;
    }
    return node;
  };
  /** Does the subtree (following `$ref`s) hold a closed object or a property default? */
  const holds = (node: Json | undefined, what: 'work' | 'default', seen = new Set<Json>()): boolean => {
    if (Array.isArray(node)) return node.some((n) => holds(n, what, seen));
    if (!isObject(node) || seen.has(node)) return false;
    seen.add(node);
    if (what === 'work' && node['additionalProperties'] === false) return true;
    for (const [k, v] of Object.entries(node)) {
      if (DATA_KEYWORDS.has(k)) continue;
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#')) {
        if (holds(resolve(v), what, seen)) return true;
      } else if (k === 'properties' && isObject(v)) {
        for (const p of Object.values(v)) {
          if (isObject(p) && p['default'] !== undefined) return true;
          if (holds(p, what, seen)) return true;
        }
      } else if (holds(v, what, seen)) return true;
    }
    return false;
  };
  const add = (pointer: string, literal: Json, tolerant: boolean) =>
    matchers.push({
      exportName: `${exportBase}_m${matchers.length}`,
      pointer,
      loc: locations.get(pointer) ?? null,
      literal,
      tolerant,
    });
  const visit = (node: Json, at: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${at}/${i}`));
    if (!isObject(node)) return;
    if (node['additionalProperties'] === false) closed = true;
    for (const kind of ['anyOf', 'oneOf'] as const) {
      const list = node[kind];
      if (!Array.isArray(list) || !list.some((b) => holds(b, 'work'))) continue;
      list.forEach((b, i) => add(`${at}/${kind}/${i}`, b, true));
      if (list.some((b) => holds(b, 'default'))) branchDefaults = true;
    }
    if (node['if'] !== undefined && (holds(node['then'], 'work') || holds(node['else'], 'work')))
      add(`${at}/if`, node['if'], false);
    for (const [k, v] of Object.entries(node)) {
      if (DATA_KEYWORDS.has(k)) continue;
      const sub = `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (SCHEMA_MAPS.has(k) && isObject(v))
        for (const [name, s] of Object.entries(v))
          visit(s, `${sub}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      else visit(v, sub);
    }
  };
  visit(bundled, '');
  return closed || branchDefaults || matchers.length > 0 ? { matchers, branchDefaults } : null;
}

/** The branch matchers of every settle plan, as two standalone modules (strict, tolerant). */
export function compileMatchers(
  model: Model,
  matchers: readonly MatcherRoot[],
  input: AjvInput = ajvInput(model),
): { match: string; matchTolerant: string } | null {
  if (matchers.length === 0) return null;
  const roots = (list: readonly MatcherRoot[]): Root[] =>
    list.map((m) => ({
      id: `bloodbank:/match/${m.exportName}`,
      exportName: m.exportName,
      ref: m.loc ? canonical(m.loc) : m.literal,
      display: m.loc ? model.store.display(m.loc.doc.file) : m.exportName,
      pointer: m.loc?.pointer ?? m.pointer,
      eventKey: null,
    }));
  const docs = new Map(input.docs.map((d) => [d.uri, d.json as Json]));
  const tolerantRoots = roots(matchers.filter((m) => m.tolerant)).map((r) => {
    if (typeof r.ref !== 'string') return r;
    const [uri = '', pointer = ''] = r.ref.split('#');
    return { ...r, ref: `${uri}#${tolerantPointer(docs.get(uri), pointer)}` };
  });
  return {
    match: compileStage('match', input, undefined, roots(matchers)),
    matchTolerant: compileStage('match-tolerant', input, undefined, tolerantRoots),
  };
}

/** Where a pointer into a document lands once tolerantSchema moved its `oneOf`s. */
function tolerantPointer(doc: Json | undefined, pointer: string): string {
  let node = doc;
  const out: string[] = [];
  for (const token of pointer.split('/').slice(1)) {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    if (key === 'oneOf' && isObject(node) && node['anyOf'] !== undefined) {
      const allOf = node['allOf'];
      out.push('allOf', String(Array.isArray(allOf) ? allOf.length : 0), 'anyOf');
    } else out.push(key === 'oneOf' && isObject(node) ? 'anyOf' : token);
    node = isObject(node) ? node[key] : Array.isArray(node) ? node[Number(key)] : undefined;
  }
  return out.map((t) => `/${t}`).join('');
}

function exportsOf(model: Model): Map<string, string> {
  const exports = new Map<string, string>(model.events.map((e) => [e.key, e.names.base]));
  if (model.envelope) exports.set('$envelope', '$envelope');
  return exports;
}

function publishStage(model: Model, input: AjvInput): string {
  return compileStage('publish', input, (key, validate) => {
    const event = model.events.find((e) => e.key === key);
    if (event) checkExamples(model, key, model.store.deref(event.payload), validate);
  });
}

/** Both stages in this thread. */
export function compileValidators(model: Model): CompiledValidators {
  const input = ajvInput(model);
  return {
    publish: publishStage(model, input),
    consume: compileStage('consume', input),
    exports: exportsOf(model),
  };
}

/**
 * Both stages for some of the roots only (one domain's events, or the envelope alone), so each domain's
 * validator code is its own module (generated/<domain>/validators/). Examples are checked as for all.
 */
export function compileValidatorSubset(
  model: Model,
  input: AjvInput,
  exportNames: ReadonlySet<string>,
  consume?: string,
): { publish: string; consume: string } {
  const roots = input.roots.filter((r) => exportNames.has(r.exportName));
  return {
    publish: compileStage(
      'publish',
      input,
      (key, validate) => {
        const event = model.events.find((e) => e.key === key);
        if (event) checkExamples(model, key, model.store.deref(event.payload), validate);
      },
      roots,
    ),
    consume: consume ?? compileStage('consume', input, undefined, roots),
  };
}

/**
 * The consume stage of each group of export names (a domain's events, the envelope), compiled in a worker
 * thread while the main thread compiles the publish stages; null when no worker is used (the same rule
 * as compileValidatorsParallel): generate then compiles both stages itself.
 */
export function compileConsumeGroupsInWorker(
  model: Model,
  groups: ReadonlyArray<readonly string[]>,
): Promise<string[]> | null {
  const forced = process.env['BLOODBANK_CODEGEN_VALIDATOR_WORKER'];
  const useWorker =
    !import.meta.url.endsWith('.ts') && (forced === undefined ? availableParallelism() > 2 : forced === '1');
  if (!useWorker) return null;
  const input = ajvInput(model);
  const inThread = () =>
    groups.map((names) =>
      compileStage(
        'consume',
        input,
        undefined,
        input.roots.filter((r) => names.includes(r.exportName)),
      ),
    );
  let worker: Worker;
  try {
    worker = new Worker(new URL('./validators-worker.js', import.meta.url), {
      workerData: { input, groups: groups.map((g) => [...g]) },
    });
  } catch {
    return null;
  }
  const codes = new Promise<string[]>((resolve, reject) => {
    worker.once(
      'message',
      (m: { ok: true; code: string[] } | { ok: false; file: string; pointer: string; message: string }) => {
        if (m.ok) {
          if (process.env['BLOODBANK_CODEGEN_TRACE'])
            process.stderr.write('codegen trace: consume validators compiled in a worker thread\n');
          resolve(m.code);
        } else reject(new CodegenError(m.file, m.pointer, m.message));
      },
    );
    worker.once('error', (error: Error) => {
      process.stderr.write(
        `codegen: the validator worker failed (${error.message}); compiling in the main thread\n`,
      );
      try {
        resolve(inThread());
      } catch (error) {
        reject(error);
      }
    });
  }).finally(() => void worker.terminate());
  codes.catch(() => undefined);
  return codes;
}

/**
 * Both stages, the consume one in a worker thread (the two compiles overlap) when running compiled
 * (`bloodbank-codegen`, dist/) on more than 2 cores; else both run in this thread.
 */
export async function compileValidatorsParallel(model: Model): Promise<CompiledValidators> {
  const input = ajvInput(model);
  // Run from source (tsx, vitest) a worker cannot load TypeScript on Node 20: compile in this thread.
  // On 2 cores the parser's worker already keeps the other core busy: a third thread only adds its
  // start-up (measured: 0.91 s sequential against 0.98 s with the worker, cold, shipped catalogue).
  // BLOODBANK_CODEGEN_VALIDATOR_WORKER=1 / 0 forces the choice (tests exercise the worker on 2 cores).
  const forced = process.env['BLOODBANK_CODEGEN_VALIDATOR_WORKER'];
  const useWorker =
    !import.meta.url.endsWith('.ts') && (forced === undefined ? availableParallelism() > 2 : forced === '1');
  if (!useWorker) return compileValidators(model);
  let worker: Worker | null = null;
  const consume = new Promise<string>((resolve, reject) => {
    try {
      worker = new Worker(new URL('./validators-worker.js', import.meta.url), {
        workerData: { input, groups: null },
      });
    } catch {
      resolve(compileStage('consume', input));
      return;
    }
    worker.once(
      'message',
      (m: { ok: true; code: string } | { ok: false; file: string; pointer: string; message: string }) => {
        if (m.ok) {
          if (process.env['BLOODBANK_CODEGEN_TRACE'])
            process.stderr.write('codegen trace: consume validators compiled in a worker thread\n');
          resolve(m.code);
        } else reject(new CodegenError(m.file, m.pointer, m.message));
      },
    );
    worker.once('error', (error: Error) => {
      // Visible, not silent: the output is the same, only slower.
      process.stderr.write(
        `codegen: the validator worker failed (${error.message}); compiling in the main thread\n`,
      );
      try {
        resolve(compileStage('consume', input));
      } catch (error) {
        reject(error);
      }
    });
  });
  consume.catch(() => undefined);
  try {
    const publish = publishStage(model, input);
    return { publish, consume: await consume, exports: exportsOf(model) };
  } finally {
    void (worker as Worker | null)?.terminate();
  }
}

function checkExamples(model: Model, key: string, loc: Location, validate: (data: unknown) => boolean): void {
  const event = model.events.find((e) => e.key === key);
  if (!event) return;
  event.examples.forEach((example, i) => {
    const copy = structuredClone(example) as Json;
    if (validate(copy)) return;
    const errors = ((validate as unknown as { errors?: ErrorObject[] }).errors ?? []).slice(0, 3);
    const detail = errors
      .map((e) => {
        const extra =
          e.keyword === 'required'
            ? `/${String(e.params['missingProperty'])}`
            : e.keyword === 'additionalProperties'
              ? `/${String(e.params['additionalProperty'])}`
              : '';
        return `${e.instancePath}${extra || ''} ${e.message ?? e.keyword}`;
      })
      .join('; ');
    const schema = model.store.get(loc);
    const where =
      isObject(schema) && Array.isArray(schema['examples']) && i < schema['examples'].length
        ? `${loc.pointer}/examples/${i}`
        : `${loc.pointer}(message example ${i})`;
    throw new CodegenError(
      model.store.display(loc.doc.file),
      where,
      `example ${i} of ${key} does not validate against its own schema: ${detail}`,
    );
  });
}

/** ajv's ESM output still `require()`s its runtime: route each through the narrow runtime entry. */
export function rewriteRequires(code: string): string {
  const known = new Set<string>(AJV_RUNTIME_MODULES);
  const body = code.replace(/require\(("[^"]+")\)/g, (_m, spec: string) => {
    const name = JSON.parse(spec) as string;
    if (!known.has(name))
      throw new Error(`ajv output requires ${name}, which bloodbank/codegen-runtime does not provide`);
    return `__ajvRuntime[${spec}]`;
  });
  return dropUnusedSchemaConstants(body.replace(/^"use strict";/, ''));
}

/**
 * ajv's standalone output declares `const schemaN = {…}` for every schema it visited, though validators
 * only read a few small values from them (a `type` array for an error's params). Replace each such read
 * by the value itself and drop the declarations: the schema data lives once, in schemas.ts, not again in
 * each stage. A constant used whole (no path) is kept.
 */
export function dropUnusedSchemaConstants(code: string): string {
  const decl = /const (schema\d+) = /g;
  const spans: Array<{ name: string; start: number; end: number; value: unknown }> = [];
  for (let m = decl.exec(code); m; m = decl.exec(code)) {
    const start = m.index;
    const literalStart = m.index + m[0].length;
    const end = endOfLiteral(code, literalStart);
    const literal = code.slice(literalStart, end).replace(/;$/, '');
    spans.push({ name: m[1] as string, start, end, value: JSON.parse(literal) as unknown });
    decl.lastIndex = end;
  }
  const values = new Map(spans.map((s) => [s.name, s.value]));
  const keep = new Set<string>();
  let out = '';
  let last = 0;
  for (const span of spans) {
    out += inlineReads(code.slice(last, span.start), values, keep);
    last = span.end;
  }
  out += inlineReads(code.slice(last), values, keep);
  if (keep.size === 0) return out;
  const kept = spans
    .filter((s) => keep.has(s.name))
    .map((s) => `const ${s.name} = ${JSON.stringify(s.value)};\n`)
    .join('');
  return kept + out;
}

/** `schema7.properties.model.type` / `schema7["a-b"]` → its JSON value; a bare `schema7` is kept. */
function inlineReads(code: string, values: ReadonlyMap<string, unknown>, keep: Set<string>): string {
  return code.replace(
    /\b(schema\d+)((?:\.[A-Za-z_$][\w$]*|\["(?:[^"\\]|\\.)*"\]|\[\d+\])*)/g,
    (whole, name: string, path: string) => {
      if (!values.has(name)) return whole;
      if (!path) {
        keep.add(name);
        return whole;
      }
      let node: unknown = values.get(name);
      for (const m of path.matchAll(/\.([A-Za-z_$][\w$]*)|\[("(?:[^"\\]|\\.)*"|\d+)\]/g)) {
        const key = m[1] ?? (JSON.parse(m[2] as string) as string | number);
        node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
      }
      return node === undefined ? whole : JSON.stringify(node);
    },
  );
}

/** Index just past `{…};` (a JSON literal plus its semicolon) starting at `from`. */
function endOfLiteral(code: string, from: number): number {
  let depth = 0;
  let inString = false;
  for (let i = from; i < code.length; i++) {
    const c = code[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return code[i + 1] === ';' ? i + 2 : i + 1;
    }
  }
  return code.length;
}
