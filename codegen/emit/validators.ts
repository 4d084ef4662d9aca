/**
 * Validators precompiled with ajv standalone: one strict publish validator and one tolerant consume
 * validator per event (DESIGN.md §5), as ESM whose `require()`s are rewritten to the narrow runtime entry.
 * Also checks every schema against the draft-07 meta-schema and every example against its schema.
 */
import { Ajv, _ } from 'ajv';
import type { AnySchemaObject, ErrorObject } from 'ajv';
import { createRequire } from 'node:module';
import { CodegenError } from '../../runtime/errors/codegen-error.js';
import type { Model } from '../model.js';
import { isObject } from '../schema-store.js';
import type { Json, Location, SchemaStore } from '../schema-store.js';

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

function makeAjv(stage: 'publish' | 'consume', store: SchemaStore): Ajv {
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
    ajv.addFormat('date-time', {
      validate: (s: string) =>
        /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?$/.test(s),
    });
  }
  ajv.addKeyword('x-bloodbank-envelope');
  for (const doc of store.docs()) {
    const json = store.forAjv(doc) as AnySchemaObject;
    if (!/\.ya?ml$/i.test(doc.file) && !ajv.validateSchema(json)) {
      const e = (ajv.errors ?? [])[0] as ErrorObject | undefined;
      throw new CodegenError(
        store.display(doc.file),
        e?.instancePath ?? '',
        `invalid JSON Schema: ${e ? `${e.instancePath || '(root)'} ${e.message ?? e.keyword}` : 'rejected by the draft-07 meta-schema'}`,
      );
    }
    ajv.addSchema(json, doc.uri, undefined, false);
  }
  return ajv;
}

export function compileValidators(model: Model): CompiledValidators {
  const { store } = model;
  const exports = new Map<string, string>();
  const roots: Array<{ id: string; exportName: string; loc: Location; eventKey: string | null }> = [];
  for (const e of model.events) {
    roots.push({
      id: `bloodbank:/payload/${e.key}`,
      exportName: e.names.base,
      loc: store.deref(e.payload),
      eventKey: e.key,
    });
    exports.set(e.key, e.names.base);
  }
  if (model.envelope) {
    roots.push({ id: 'bloodbank:/envelope', exportName: '$envelope', loc: model.envelope, eventKey: null });
    exports.set('$envelope', '$envelope');
  }
  const out: Record<'publish' | 'consume', string> = { publish: '', consume: '' };
  for (const stage of ['publish', 'consume'] as const) {
    const ajv = makeAjv(stage, store);
    for (const r of roots) ajv.addSchema({ $id: r.id, $ref: canonical(r.loc) }, undefined, undefined, false);
    const refs: Record<string, string> = {};
    for (const r of roots) {
      let validate;
      try {
        validate = ajv.getSchema(r.id);
      } catch (cause) {
        throw new CodegenError(
          store.display(r.loc.doc.file),
          r.loc.pointer,
          `cannot compile schema: ${(cause as Error).message}`,
          { cause },
        );
      }
      if (!validate)
        throw new CodegenError(store.display(r.loc.doc.file), r.loc.pointer, 'cannot compile schema');
      if (stage === 'publish' && r.eventKey !== null) checkExamples(model, r.eventKey, r.loc, validate);
      refs[r.exportName] = r.id;
    }
    out[stage] = rewriteRequires(standaloneCode(ajv, refs));
  }
  return { publish: out.publish, consume: out.consume, exports };
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
