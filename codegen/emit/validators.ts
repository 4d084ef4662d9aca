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
import type { Json, Location } from '../schema-store.js';
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
    docs: store.docs().map((doc) => ({
      uri: doc.uri,
      display: store.display(doc.file),
      json: store.forAjv(doc) as AnySchemaObject,
      isSchema: !/\.ya?ml$/i.test(doc.file),
    })),
    roots,
  };
}

function makeAjv(stage: 'publish' | 'consume', input: AjvInput): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    strict: false,
    removeAdditional: stage === 'consume' ? true : false,
    // Shared `$ref` targets become one function each instead of being inlined into every event.
    inlineRefs: false,
    code: {
      source: true,
      esm: true,
      lines: false,
      formats: _`require("bloodbank/formats").${stage === 'publish' ? _`publish` : _`consume`}`,
    },
  });
  addFormats(ajv);
  if (stage === 'consume') {
    // The same format the generated code loads from bloodbank/codegen-runtime at run time.
    ajv.addFormat('date-time', lenientDateTime);
  }
  ajv.addKeyword('x-bloodbank-envelope');
  ajv.addKeyword('x-bloodbank-default');
  for (const doc of input.docs) {
    if (doc.isSchema && !ajv.validateSchema(doc.json)) {
      const e = (ajv.errors ?? [])[0] as ErrorObject | undefined;
      throw new CodegenError(
        doc.display,
        e?.instancePath ?? '',
        `invalid JSON Schema: ${e ? `${e.instancePath || '(root)'} ${e.message ?? e.keyword}` : 'rejected by the draft-07 meta-schema'}`,
      );
    }
    ajv.addSchema(doc.json, doc.uri, undefined, false);
  }
  return ajv;
}

/**
 * Compile one stage to standalone ESM. `onCompiled` sees each event's validate function (publish uses
 * it to check the examples).
 */
export function compileStage(
  stage: 'publish' | 'consume',
  input: AjvInput,
  onCompiled?: (eventKey: string, validate: (data: unknown) => boolean) => void,
): string {
  const ajv = makeAjv(stage, input);
  for (const r of input.roots) ajv.addSchema({ $id: r.id, $ref: r.ref }, undefined, undefined, false);
  const refs: Record<string, string> = {};
  for (const r of input.roots) {
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
      worker = new Worker(new URL('./validators-worker.js', import.meta.url), { workerData: input });
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
 * ajv's standalone output declares `const schemaN = {…}` for every schema it visited, examples and all,
 * though validators only reference a few of them (for `$data` or `verbose`). Drop the unreferenced ones:
 * smaller files, faster import.
 */
export function dropUnusedSchemaConstants(code: string): string {
  const decl = /const (schema\d+) = /g;
  const spans: Array<{ name: string; start: number; end: number }> = [];
  for (let m = decl.exec(code); m; m = decl.exec(code)) {
    const start = m.index;
    const end = endOfLiteral(code, m.index + m[0].length);
    spans.push({ name: m[1] as string, start, end });
    decl.lastIndex = end;
  }
  const uses = new Map<string, number>();
  for (const m of code.matchAll(/\bschema\d+\b/g)) uses.set(m[0], (uses.get(m[0]) ?? 0) + 1);
  let out = '';
  let last = 0;
  for (const span of spans) {
    if ((uses.get(span.name) ?? 0) > 1) continue;
    out += code.slice(last, span.start);
    last = span.end;
  }
  return out + code.slice(last);
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
