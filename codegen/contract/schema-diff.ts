/**
 * Semantic diff of two self-contained JSON Schemas (draft-07; local `$ref`s into `definitions`/`$defs`).
 *
 * Changes are classified by meaning, not by path: `$ref`s are followed and `allOf` merged before
 * comparing, so moving an inline schema into a shared definition, reordering properties or keywords and
 * editing annotations (title, description, examples, $comment) are no change. Readers are the tolerant
 * consume validators of DESIGN.md §5: unknown properties are dropped and defaults applied, so a property
 * added is never breaking and a required property with a default is not either. What cannot be decided
 * exactly (a regex against another regex, `not`, `if`/`then`) is reported as breaking both ways, saying so.
 */
import { escapePointer, getPointer, isObject } from '../schema-store.js';
import type { Json, JsonObject } from '../schema-store.js';
import type { RuleId, SchemaChange } from './rules.js';

/** Keywords that say nothing about which values are valid. */
const ANNOTATIONS = new Set([
  'title',
  'description',
  'examples',
  'example',
  '$comment',
  '$id',
  '$schema',
  'deprecated',
  'readOnly',
  'writeOnly',
  'definitions',
  '$defs',
  'contentMediaType',
  'contentEncoding',
]);

/** Keywords this diff compares by meaning; any other (non `x-`) keyword is compared structurally. */
const HANDLED = new Set([
  'type',
  'enum',
  'const',
  'nullable',
  'default',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'oneOf',
  'anyOf',
  'allOf',
  '$ref',
  'pattern',
  'format',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'uniqueItems',
  'discriminator',
]);

/** Keywords whose keys are names (of properties, patterns, dependencies), each mapping to a schema. */
const NAMED_SCHEMAS = new Set(['properties', 'patternProperties', 'dependencies', 'dependentSchemas']);

const TYPES = ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'] as const;
type TypeName = (typeof TYPES)[number];

interface Normal {
  readonly schema: JsonObject;
  /** The `$ref` target last followed to reach this schema (for cycles). */
  readonly ref: string | null;
}

/** Compare the schema of one payload, old against new. */
export function diffSchemas(oldRoot: Json, newRoot: Json): SchemaChange[] {
  const ctx = new DiffContext(oldRoot, newRoot);
  ctx.compare(oldRoot, newRoot, '', new Set());
  return ctx.changes;
}

class DiffContext {
  readonly changes: SchemaChange[] = [];
  constructor(
    private readonly oldRoot: Json,
    private readonly newRoot: Json,
  ) {}

  private add(pointer: string, rule: RuleId, backward: boolean, forward: boolean, explanation: string): void {
    this.changes.push({ pointer: pointer || '/', rule, backward, forward, explanation });
  }

  compare(oldNode: Json, newNode: Json, path: string, stack: ReadonlySet<string>): void {
    const o = normalize(oldNode, this.oldRoot);
    const n = normalize(newNode, this.newRoot);
    if (o.ref !== null && n.ref !== null) {
      const key = `${o.ref}\u0000${n.ref}`;
      // A recursive schema met again on both sides: what differs was reported the first time.
      if (stack.has(key)) return;
      stack = new Set([...stack, key]);
    }
    if (unionOf(o.schema) || unionOf(n.schema)) {
      this.compareUnions(o.schema, n.schema, path, stack);
      return;
    }
    this.compareTypes(o.schema, n.schema, path);
    this.compareValues(o.schema, n.schema, path);
    this.compareDefault(o.schema, n.schema, path);
    const to = typesOf(o.schema);
    const tn = typesOf(n.schema);
    const both = (t: TypeName): boolean => has(to, t) && has(tn, t);
    if (both('string')) this.compareString(o.schema, n.schema, path);
    if (both('number') || both('integer')) this.compareNumber(o.schema, n.schema, path);
    if (both('array')) this.compareArray(o.schema, n.schema, path, stack);
    if (both('object')) this.compareObject(o.schema, n.schema, path, stack);
    this.compareOther(o.schema, n.schema, path);
  }

  // ---- types, enum/const, default ----------------------------------------------------------------

  private compareTypes(o: JsonObject, n: JsonObject, path: string): void {
    const to = typesOf(o);
    const tn = typesOf(n);
    const oldInNew = typeSubset(to, tn);
    const newInOld = typeSubset(tn, to);
    if (oldInNew && newInOld) return;
    const show = (t: Set<TypeName> | null): string => (t ? [...t].sort().join(' | ') : 'any type');
    const onlyNull = (a: Set<TypeName> | null, b: Set<TypeName> | null): boolean =>
      a !== null &&
      b !== null &&
      a.has('null') &&
      !b.has('null') &&
      typeSubset(minus(a, 'null'), b) &&
      typeSubset(b, minus(a, 'null'));
    if (onlyNull(tn, to)) {
      this.add(
        path,
        'nullable-added',
        true,
        false,
        `now also accepts null (was ${show(to)}, now ${show(tn)}): readers of the old schema reject null`,
      );
    } else if (onlyNull(to, tn)) {
      this.add(
        path,
        'nullable-removed',
        false,
        true,
        `no longer accepts null (was ${show(to)}, now ${show(tn)}): stored events carrying null are rejected by the new reader`,
      );
    } else if (oldInNew) {
      this.add(
        path,
        'type-widened',
        true,
        false,
        `type widened from ${show(to)} to ${show(tn)}: readers of the old schema reject the new kinds of value`,
      );
    } else if (newInOld) {
      this.add(
        path,
        'type-narrowed',
        false,
        true,
        `type narrowed from ${show(to)} to ${show(tn)}: the new reader rejects values the old schema allowed`,
      );
    } else {
      this.add(
        path,
        'type-changed',
        false,
        false,
        `type changed from ${show(to)} to ${show(tn)}: neither side reads the other's values`,
      );
    }
  }

  private compareValues(o: JsonObject, n: JsonObject, path: string): void {
    const vo = valuesOf(o);
    const vn = valuesOf(n);
    if (vo === null && vn === null) return;
    const usesConst = o['const'] !== undefined || n['const'] !== undefined;
    if (vo === null && vn !== null) {
      this.add(
        path,
        usesConst ? 'const-changed' : 'enum-narrowed',
        false,
        true,
        `now restricted to ${list(vn)}: the new reader rejects other values the old schema allowed`,
      );
      return;
    }
    if (vo !== null && vn === null) {
      this.add(
        path,
        usesConst ? 'const-changed' : 'enum-widened',
        true,
        false,
        `no longer restricted to ${list(vo)}: readers of the old schema reject any other value`,
      );
      return;
    }
    const oldKeys = new Map((vo ?? []).map((v) => [canonical(v), v]));
    const newKeys = new Map((vn ?? []).map((v) => [canonical(v), v]));
    const added = [...newKeys].filter(([k]) => !oldKeys.has(k)).map(([, v]) => v);
    const removed = [...oldKeys].filter(([k]) => !newKeys.has(k)).map(([, v]) => v);
    if (added.length === 0 && removed.length === 0) return;
    if (usesConst && oldKeys.size <= 1 && newKeys.size <= 1) {
      this.add(
        path,
        'const-changed',
        false,
        false,
        `constant changed from ${list(vo ?? [])} to ${list(vn ?? [])}: each side rejects the other's value`,
      );
    } else if (removed.length === 0) {
      this.add(
        path,
        'enum-widened',
        true,
        false,
        `values added: ${list(added)}; readers of the old schema reject them`,
      );
    } else if (added.length === 0) {
      this.add(
        path,
        'enum-narrowed',
        false,
        true,
        `values removed: ${list(removed)}; the new reader rejects stored events carrying them`,
      );
    } else {
      this.add(
        path,
        'enum-changed',
        false,
        false,
        `values added: ${list(added)}; removed: ${list(removed)}; each side rejects some of the other's values`,
      );
    }
  }

  private compareDefault(o: JsonObject, n: JsonObject, path: string): void {
    const a = o['default'];
    const b = n['default'];
    if (a === undefined || b === undefined || canonical(a) === canonical(b)) return;
    this.add(
      path,
      'default-changed',
      true,
      true,
      `default changed from ${canonical(a)} to ${canonical(b)}: readers fill in a different value when it is missing`,
    );
  }

  // ---- strings, numbers ---------------------------------------------------------------------------

  private compareString(o: JsonObject, n: JsonObject, path: string): void {
    this.compareBound(o, n, path, 'minLength', 'lower', 'length');
    this.compareBound(o, n, path, 'maxLength', 'upper', 'length');
    const po = o['pattern'];
    const pn = n['pattern'];
    if (po !== pn) {
      if (po === undefined)
        this.add(
          path,
          'pattern-added',
          false,
          true,
          `pattern ${String(pn)} added: the new reader rejects old values that do not match it`,
        );
      else if (pn === undefined)
        this.add(
          path,
          'pattern-removed',
          true,
          false,
          `pattern ${String(po)} removed: readers of the old schema reject new values that do not match it`,
        );
      else
        this.add(
          path,
          'pattern-changed',
          false,
          false,
          `pattern changed from ${String(po)} to ${String(pn)}: whether one regex accepts everything the other does cannot be decided here, so this counts as breaking both ways`,
        );
    }
    const fo = o['format'];
    const fn = n['format'];
    if (fo !== fn) {
      if (fo === undefined)
        this.add(
          path,
          'format-added',
          false,
          true,
          `format ${String(fn)} added: the new reader rejects old values that are not a valid ${String(fn)}`,
        );
      else if (fn === undefined)
        this.add(
          path,
          'format-removed',
          true,
          false,
          `format ${String(fo)} removed: readers of the old schema reject new values that are not a valid ${String(fo)}`,
        );
      else
        this.add(
          path,
          'format-changed',
          false,
          false,
          `format changed from ${String(fo)} to ${String(fn)}: each side rejects values of the other's format`,
        );
    }
  }

  private compareNumber(o: JsonObject, n: JsonObject, path: string): void {
    const lo = lowerBound(o);
    const ln = lowerBound(n);
    this.compareInterval(lo, ln, path, 'lower');
    this.compareInterval(upperBound(o), upperBound(n), path, 'upper');
    const mo = typeof o['multipleOf'] === 'number' ? o['multipleOf'] : null;
    const mn = typeof n['multipleOf'] === 'number' ? n['multipleOf'] : null;
    if (mo !== mn) {
      const divides = (a: number, b: number): boolean => Number.isInteger(Number((a / b).toFixed(9)));
      // old ⊆ new when every multiple of mo is a multiple of mn.
      const backward = mn === null || (mo !== null && divides(mo, mn));
      const forward = mo === null || (mn !== null && divides(mn, mo));
      this.add(
        path,
        backward && !forward ? 'bound-loosened' : 'bound-tightened',
        backward,
        forward,
        `multipleOf changed from ${mo ?? 'none'} to ${mn ?? 'none'}`,
      );
    }
  }

  private compareInterval(a: Bound | null, b: Bound | null, path: string, side: 'lower' | 'upper'): void {
    const show = (x: Bound | null): string =>
      x === null
        ? 'none'
        : `${x.exclusive ? (side === 'lower' ? '>' : '<') : side === 'lower' ? '>=' : '<='} ${x.value}`;
    if (a === null && b === null) return;
    if (a !== null && b !== null && a.value === b.value && a.exclusive === b.exclusive) return;
    // Is b at least as permissive as a?
    const looser = (x: Bound | null, y: Bound | null): boolean => {
      if (y === null) return true;
      if (x === null) return false;
      if (x.value === y.value) return !y.exclusive || x.exclusive;
      return side === 'lower' ? y.value < x.value : y.value > x.value;
    };
    const backward = looser(a, b);
    const forward = looser(b, a);
    const what = side === 'lower' ? 'minimum' : 'maximum';
    this.add(
      path,
      backward ? 'bound-loosened' : 'bound-tightened',
      backward,
      forward,
      `${what} changed from ${show(a)} to ${show(b)}: ${backward ? 'readers of the old schema reject new values beyond the old bound' : 'the new reader rejects stored values beyond the new bound'}`,
    );
  }

  private compareBound(
    o: JsonObject,
    n: JsonObject,
    path: string,
    keyword: string,
    side: 'lower' | 'upper',
    noun: string,
  ): void {
    const a = typeof o[keyword] === 'number' ? (o[keyword] as number) : null;
    const b = typeof n[keyword] === 'number' ? (n[keyword] as number) : null;
    if (a === b) return;
    // The absent bound: 0 below, unbounded above.
    const norm = (x: number | null): number => (x === null ? (side === 'lower' ? 0 : Infinity) : x);
    if (norm(a) === norm(b)) return;
    const backward = side === 'lower' ? norm(b) <= norm(a) : norm(b) >= norm(a);
    this.add(
      path,
      backward ? 'bound-loosened' : 'bound-tightened',
      backward,
      !backward,
      `${keyword} (${noun}) changed from ${a ?? 'none'} to ${b ?? 'none'}: ${backward ? 'readers of the old schema reject new values outside the old bound' : 'the new reader rejects stored values outside the new bound'}`,
    );
  }

  // ---- arrays, objects ----------------------------------------------------------------------------

  private compareArray(o: JsonObject, n: JsonObject, path: string, stack: ReadonlySet<string>): void {
    this.compareBound(o, n, path, 'minItems', 'lower', 'items');
    this.compareBound(o, n, path, 'maxItems', 'upper', 'items');
    const uo = o['uniqueItems'] === true;
    const un = n['uniqueItems'] === true;
    if (uo !== un) {
      this.add(
        path,
        un ? 'bound-tightened' : 'bound-loosened',
        uo,
        un,
        `uniqueItems ${un ? 'added: the new reader rejects stored arrays with duplicates' : 'removed: readers of the old schema reject arrays with duplicates'}`,
      );
    }
    const io = o['items'] ?? {};
    const inew = n['items'] ?? {};
    if (Array.isArray(io) || Array.isArray(inew)) {
      const a = Array.isArray(io) ? io : [];
      const b = Array.isArray(inew) ? inew : [];
      const count = Math.max(a.length, b.length);
      for (let i = 0; i < count; i++) {
        const x = Array.isArray(io) ? (a[i] ?? o['additionalItems'] ?? {}) : io;
        const y = Array.isArray(inew) ? (b[i] ?? n['additionalItems'] ?? {}) : inew;
        this.compare(x, y, `${path}/${i}`, stack);
      }
      return;
    }
    this.compare(io, inew, `${path}/*`, stack);
  }

  private compareObject(o: JsonObject, n: JsonObject, path: string, stack: ReadonlySet<string>): void {
    this.compareBound(o, n, path, 'minProperties', 'lower', 'properties');
    this.compareBound(o, n, path, 'maxProperties', 'upper', 'properties');
    const po = isObject(o['properties']) ? o['properties'] : {};
    const pn = isObject(n['properties']) ? n['properties'] : {};
    const ro = new Set(stringList(o['required']));
    const rn = new Set(stringList(n['required']));
    const names = [...new Set([...Object.keys(po), ...Object.keys(pn), ...ro, ...rn])];
    for (const name of names) {
      const at = `${path}/${escapePointer(name)}`;
      const inOld = name in po || ro.has(name);
      const inNew = name in pn || rn.has(name);
      const defOld = hasDefault(po[name], this.oldRoot);
      const defNew = hasDefault(pn[name], this.newRoot);
      if (inOld && !inNew) {
        if (ro.has(name) && !defOld) {
          this.add(
            at,
            'required-property-removed',
            true,
            false,
            `required property ${name} removed: readers of the old schema reject new events without it (give it a default in the old schema, or make it optional first)`,
          );
        } else {
          this.add(
            at,
            'property-removed',
            true,
            true,
            `property ${name} removed; it was optional${defOld ? ' (or had a default)' : ''}, so old readers still accept new events and new readers drop it from old ones`,
          );
        }
        continue;
      }
      if (!inOld && inNew) {
        if (rn.has(name) && !defNew) {
          this.add(
            at,
            'required-property-added',
            false,
            true,
            `required property ${name} added without a default: the new reader rejects stored events that lack it (make it optional or give it a default)`,
          );
        } else {
          this.add(
            at,
            'property-added',
            true,
            true,
            `property ${name} added${rn.has(name) ? ' as required with a default' : ' as optional'}; old readers drop it`,
          );
        }
        continue;
      }
      if (!ro.has(name) && rn.has(name)) {
        this.add(
          at,
          'property-required',
          defNew,
          true,
          defNew
            ? `property ${name} became required; it has a default, so the new reader fills it in on stored events`
            : `property ${name} became required without a default: the new reader rejects stored events that lack it`,
        );
      } else if (ro.has(name) && !rn.has(name)) {
        this.add(
          at,
          'property-optional',
          true,
          defOld,
          defOld
            ? `property ${name} became optional; the old schema's default fills it in for old readers`
            : `property ${name} became optional: readers of the old schema reject new events without it`,
        );
      }
      this.compare(po[name] ?? {}, pn[name] ?? {}, at, stack);
    }
    // A map (additionalProperties: schema) on either side: compare its values. `false` means the reader
    // drops unknown keys, so it never rejects them.
    const ao = o['additionalProperties'];
    const an = n['additionalProperties'];
    if ((isObject(ao) || isObject(an)) && ao !== false && an !== false) {
      this.compare(
        ao === undefined || ao === true ? {} : ao,
        an === undefined || an === true ? {} : an,
        `${path}/*`,
        stack,
      );
    }
  }

  // ---- oneOf / anyOf ------------------------------------------------------------------------------

  private compareUnions(o: JsonObject, n: JsonObject, path: string, stack: ReadonlySet<string>): void {
    const bo = branches(o, this.oldRoot);
    const bn = branches(n, this.newRoot);
    const pairs: Array<[number, number]> = [];
    const usedO = new Set<number>();
    const usedN = new Set<number>();
    const pair = (i: number, j: number): void => {
      pairs.push([i, j]);
      usedO.add(i);
      usedN.add(j);
    };
    // 1. identical branches
    const fo = bo.map((b) => fingerprint(b, this.oldRoot));
    const fn = bn.map((b) => fingerprint(b, this.newRoot));
    fo.forEach((f, i) => {
      const j = fn.findIndex((g, k) => g === f && !usedN.has(k));
      if (j >= 0) pair(i, j);
    });
    // 2. a const discriminator property shared by every branch
    const disc = discriminator([
      ...bo.map((b) => [b, this.oldRoot] as const),
      ...bn.map((b) => [b, this.newRoot] as const),
    ]);
    if (disc !== null) {
      bo.forEach((b, i) => {
        if (usedO.has(i)) return;
        const tag = tagOf(b, disc, this.oldRoot);
        const j = bn.findIndex((c, k) => !usedN.has(k) && tagOf(c, disc, this.newRoot) === tag);
        if (j >= 0) pair(i, j);
      });
    }
    // 3. the only remaining branch of the same type on each side
    const sig = (b: JsonObject): string => [...(typesOf(b) ?? [])].sort().join('|');
    bo.forEach((b, i) => {
      if (usedO.has(i)) return;
      const same = bn.map((c, k) => (!usedN.has(k) && sig(c) === sig(b) ? k : -1)).filter((k) => k >= 0);
      const sameOld = bo.filter((c, k) => !usedO.has(k) && sig(c) === sig(b));
      if (same.length === 1 && sameOld.length === 1) pair(i, same[0] as number);
    });
    const label = (b: JsonObject, root: Json): string => {
      const tag = disc !== null ? tagOf(b, disc, root) : null;
      if (tag !== null) return `the branch ${disc}=${tag}`;
      const t = typesOf(b);
      return t ? `a ${[...t].sort().join(' | ')} branch` : 'a branch';
    };
    for (const [i, j] of pairs) this.compare(bo[i] as JsonObject, bn[j] as JsonObject, path, stack);
    bo.forEach((b, i) => {
      if (usedO.has(i)) return;
      if (isNullOnly(b))
        this.add(
          path,
          'nullable-removed',
          false,
          true,
          'no longer accepts null (its null branch was removed): stored events carrying null are rejected by the new reader',
        );
      else
        this.add(
          path,
          'branch-removed',
          false,
          true,
          `${label(b, this.oldRoot)} was removed: the new reader rejects stored events of that shape`,
        );
    });
    bn.forEach((b, j) => {
      if (usedN.has(j)) return;
      if (isNullOnly(b))
        this.add(
          path,
          'nullable-added',
          true,
          false,
          'now also accepts null (a null branch was added): readers of the old schema reject null',
        );
      else
        this.add(
          path,
          'branch-added',
          true,
          false,
          `${label(b, this.newRoot)} was added: readers of the old schema reject events of that shape`,
        );
    });
  }

  // ---- everything else ----------------------------------------------------------------------------

  private compareOther(o: JsonObject, n: JsonObject, path: string): void {
    const keys = new Set([...Object.keys(o), ...Object.keys(n)]);
    for (const k of [...keys].sort()) {
      if (HANDLED.has(k) || ANNOTATIONS.has(k) || k.startsWith('x-')) continue;
      if (k === 'additionalItems') continue;
      const a = o[k] === undefined ? undefined : fingerprint(o[k] as Json, this.oldRoot);
      const b = n[k] === undefined ? undefined : fingerprint(n[k] as Json, this.newRoot);
      if (a === b) continue;
      this.add(
        path,
        'keyword-changed',
        false,
        false,
        `${k} ${a === undefined ? 'added' : b === undefined ? 'removed' : 'changed'}: whether one accepts everything the other does cannot be decided here, so this counts as breaking both ways`,
      );
    }
  }
}

// ---- normalisation ------------------------------------------------------------------------------

/** Follow `$ref`s, merge `allOf`, turn `nullable: true` into a null type. */
export function normalize(node: Json, root: Json): Normal {
  if (node === true || node === undefined) return { schema: {}, ref: null };
  if (node === false) return { schema: { not: {} }, ref: null };
  if (!isObject(node)) return { schema: {}, ref: null };
  let schema: JsonObject = node;
  let ref: string | null = null;
  const seen = new Set<string>();
  while (typeof schema['$ref'] === 'string') {
    const target = schema['$ref'];
    if (seen.has(target)) return { schema: {}, ref: target };
    seen.add(target);
    const resolved = resolveLocal(target, root);
    const rest = strip(schema, ['$ref']);
    const meaningful = Object.keys(rest).filter((k) => !ANNOTATIONS.has(k));
    ref = target;
    schema =
      meaningful.length > 0
        ? { allOf: [resolved, rest] }
        : isObject(resolved)
          ? resolved
          : resolved === false
            ? { not: {} }
            : {};
    if (meaningful.length > 0) break;
  }
  if (Array.isArray(schema['allOf'])) {
    let merged: JsonObject = strip(schema, ['allOf']);
    for (const part of schema['allOf']) merged = merge(merged, normalize(part, root).schema);
    schema = merged;
  }
  if (schema['nullable'] === true) {
    const t = typesOf(schema);
    if (t && !t.has('null')) schema = { ...schema, type: [...t, 'null'].sort() };
  }
  return { schema, ref };
}

function resolveLocal(ref: string, root: Json): Json {
  if (!ref.startsWith('#')) throw new Error(`$ref ${ref} is not local to the bundled schema`);
  const pointer = decodeURIComponent(ref.slice(1));
  const target = getPointer(root, pointer);
  if (target === undefined) throw new Error(`$ref ${ref} points at nothing`);
  return target;
}

function strip(schema: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(schema)) if (!keys.includes(k)) out[k] = v;
  return out;
}

/** `allOf` of two schemas as one (properties merged, required united, bounds intersected). */
function merge(a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    if (prev === undefined) {
      out[k] = v;
      continue;
    }
    if (k === 'properties' && isObject(prev) && isObject(v)) {
      const props: JsonObject = { ...prev };
      for (const [name, s] of Object.entries(v)) {
        const p = props[name];
        props[name] = p === undefined ? s : { allOf: [p, s] };
      }
      out[k] = props;
    } else if (k === 'required') {
      out[k] = [...new Set([...stringList(prev), ...stringList(v)])];
    } else if (k === 'type') {
      const ta = typesOf({ type: prev });
      const tb = typesOf({ type: v });
      if (ta && tb) {
        const both = [...ta]
          .filter((t) => has(tb, t))
          .concat([...tb].filter((t) => t === 'integer' && ta.has('number')));
        out[k] = [...new Set(both)].sort();
      }
    } else if (/^(min|exclusiveMin)/.test(k) && typeof prev === 'number' && typeof v === 'number') {
      out[k] = Math.max(prev, v);
    } else if (/^(max|exclusiveMax)/.test(k) && typeof prev === 'number' && typeof v === 'number') {
      out[k] = Math.min(prev, v);
    } else if (k === 'additionalProperties') {
      out[k] = prev === false || v === false ? false : v;
    } else if (k === 'items' && isObject(prev) && isObject(v)) {
      out[k] = { allOf: [prev, v] };
    } else if (k === 'enum' && Array.isArray(prev) && Array.isArray(v)) {
      const keep = new Set(v.map(canonical));
      out[k] = prev.filter((x) => keep.has(canonical(x)));
    } else {
      out[k] = v;
    }
  }
  return out;
}

// ---- helpers ------------------------------------------------------------------------------------

function unionOf(s: JsonObject): Json[] | null {
  if (Array.isArray(s['oneOf'])) return s['oneOf'];
  if (Array.isArray(s['anyOf'])) return s['anyOf'];
  return null;
}

/** The branches of a union (siblings distributed into each), or the schema itself as one branch. */
function branches(s: JsonObject, root: Json): JsonObject[] {
  const u = unionOf(s);
  if (!u) return splitNull(s);
  const rest = strip(s, ['oneOf', 'anyOf', 'discriminator']);
  const siblings = Object.keys(rest).some((k) => !ANNOTATIONS.has(k));
  return u.flatMap((b) => {
    const nb = normalize(b, root).schema;
    const merged = siblings ? merge(rest, nb) : nb;
    // A nested union is flattened into its parent.
    return unionOf(merged) ? branches(merged, root) : splitNull(merged);
  });
}

/** `type: [X, 'null']` as two branches, so that it pairs with `anyOf: [X, {type: 'null'}]`. */
function splitNull(s: JsonObject): JsonObject[] {
  const t = typesOf(s);
  if (t === null || !t.has('null') || t.size < 2 || valuesOf(s) !== null) return [s];
  const rest = [...t].filter((x) => x !== 'null').sort();
  return [{ ...s, type: rest.length === 1 ? (rest[0] as string) : rest }, { type: 'null' }];
}

function isNullOnly(s: JsonObject): boolean {
  const t = typesOf(s);
  return t !== null && t.size === 1 && t.has('null');
}

/** The property every branch pins with a const (or a one-value enum), if any. */
function discriminator(all: ReadonlyArray<readonly [JsonObject, Json]>): string | null {
  if (all.length < 2) return null;
  const candidates = (s: JsonObject, root: Json): string[] => {
    const props = isObject(s['properties']) ? s['properties'] : {};
    return Object.keys(props).filter((k) => tagOf(s, k, root) !== null);
  };
  const [first, ...rest] = all;
  if (!first) return null;
  const common = candidates(first[0], first[1]).filter((k) =>
    rest.every(([s, r]) => candidates(s, r).includes(k)),
  );
  return common.sort()[0] ?? null;
}

function tagOf(s: JsonObject, prop: string, root: Json): string | null {
  const props = isObject(s['properties']) ? s['properties'] : {};
  const p = props[prop];
  if (p === undefined) return null;
  const v = valuesOf(normalize(p, root).schema);
  return v !== null && v.length === 1 ? canonical(v[0] as Json) : null;
}

function typesOf(s: JsonObject): Set<TypeName> | null {
  const t = s['type'];
  const list =
    typeof t === 'string'
      ? [t]
      : Array.isArray(t)
        ? t.filter((x): x is string => typeof x === 'string')
        : null;
  if (list === null) {
    const v = valuesOf(s);
    if (v !== null) return new Set(v.map(typeOfValue));
    return null;
  }
  return new Set(list.filter((x): x is TypeName => (TYPES as readonly string[]).includes(x)));
}

function typeOfValue(v: Json): TypeName {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as TypeName;
}

/** `integer` is a subset of `number`; `null` (no `type`) means every type. */
function has(set: Set<TypeName> | null, t: TypeName): boolean {
  if (set === null) return true;
  return set.has(t) || (t === 'integer' && set.has('number'));
}

function typeSubset(a: Set<TypeName> | null, b: Set<TypeName> | null): boolean {
  if (b === null) return true;
  if (a === null) return false;
  return [...a].every((t) => has(b, t));
}

function minus(s: Set<TypeName>, t: TypeName): Set<TypeName> {
  return new Set([...s].filter((x) => x !== t));
}

function valuesOf(s: JsonObject): Json[] | null {
  if (s['const'] !== undefined) return [s['const'] as Json];
  if (Array.isArray(s['enum'])) return s['enum'];
  return null;
}

interface Bound {
  readonly value: number;
  readonly exclusive: boolean;
}

function lowerBound(s: JsonObject): Bound | null {
  return bound(s, 'minimum', 'exclusiveMinimum', Math.max);
}

function upperBound(s: JsonObject): Bound | null {
  return bound(s, 'maximum', 'exclusiveMaximum', Math.min);
}

function bound(
  s: JsonObject,
  inc: string,
  exc: string,
  pick: (a: number, b: number) => number,
): Bound | null {
  const i = typeof s[inc] === 'number' ? (s[inc] as number) : null;
  const e = s[exc];
  // draft-04: `exclusiveMinimum: true` qualifies `minimum`.
  if (e === true && i !== null) return { value: i, exclusive: true };
  const x = typeof e === 'number' ? e : null;
  if (i === null && x === null) return null;
  if (i === null) return { value: x as number, exclusive: true };
  if (x === null) return { value: i, exclusive: false };
  // Both: the tighter one wins; at the same value the exclusive one is tighter.
  return pick(i, x) === x ? { value: x, exclusive: true } : { value: i, exclusive: false };
}

function hasDefault(node: Json | undefined, root: Json): boolean {
  if (node === undefined) return false;
  return normalize(node, root).schema['default'] !== undefined;
}

function stringList(v: Json | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function list(values: readonly Json[]): string {
  return values.map(canonical).join(', ');
}

/** JSON with sorted keys. */
export function canonical(v: Json): string {
  return JSON.stringify(sortKeys(v));
}

export function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k] as Json);
  return out;
}

/** The meaning of a schema as a string: refs expanded (cycles cut), annotations dropped, keys sorted. */
function fingerprint(node: Json, root: Json, seen: ReadonlySet<string> = new Set()): string {
  const walk = (n: Json, s: ReadonlySet<string>): Json => {
    if (Array.isArray(n)) return n.map((x) => walk(x, s));
    if (!isObject(n)) return n;
    if (typeof n['$ref'] === 'string') {
      const ref = n['$ref'];
      if (s.has(ref)) return { $cycle: ref };
      const rest = strip(n, ['$ref']);
      const target = walk(resolveLocal(ref, root), new Set([...s, ref]));
      return Object.keys(rest).some((k) => !ANNOTATIONS.has(k)) ? { allOf: [target, walk(rest, s)] } : target;
    }
    const out: JsonObject = {};
    for (const k of Object.keys(n).sort()) {
      if (ANNOTATIONS.has(k) || k.startsWith('x-')) continue;
      const v = n[k] as Json;
      if (k === 'const' || k === 'default') out[k] = v;
      else if (k === 'enum' && Array.isArray(v)) out[k] = v.map(canonical).sort();
      else if (k === 'required' && Array.isArray(v)) out[k] = [...stringList(v)].sort();
      else if (NAMED_SCHEMAS.has(k) && isObject(v)) {
        // Keys here are property names, not keywords: keep every one.
        const named: JsonObject = {};
        for (const name of Object.keys(v).sort()) named[name] = walk(v[name] as Json, s);
        out[k] = named;
      } else out[k] = walk(v, s);
    }
    return out;
  };
  return canonical(walk(node, seen));
}
