/**
 * Mock payloads generated from a payload's JSON Schema (draft-07, `$ref`s local to the schema), for
 * `bb publish --mock`, the TUI and tests.
 *
 * Contract: the value satisfies the schema for the keywords our catalogue uses (type, enum, const,
 * properties/required/additionalProperties, items/minItems/maxItems/uniqueItems, minLength/maxLength,
 * minimum/maximum/exclusive bounds/multipleOf, formats date-time, date, uuid, email, uri, hostname,
 * ipv4, patterns, `$ref` to `#/definitions` or `#/$defs`, allOf/anyOf/oneOf). It stays small: arrays hold
 * at most 5 items and strings at most 64 characters, unless the schema's minimum asks for more. Optional
 * properties are present about half of the time and nullable values are sometimes null, so a set of
 * mocks covers both shapes. The schema's `examples` seed scalar values now and then, for realism.
 * The same `seed` gives the same value.
 */
import { generateSync } from 'json-schema-faker';
import type { JsonSchema } from 'bloodbank/registry.js';

export type { JsonSchema };

export interface MockOptions {
  /** Makes the result reproducible. Without it every call differs. */
  readonly seed?: number;
}

const MAX_ITEMS = 5;
const MAX_STRING = 64;

type SchemaObject = { readonly [key: string]: unknown };

export function generateMock(schema: JsonSchema, options: MockOptions = {}): unknown {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const root = typeof schema === 'object' ? schema : {};
  const examples = Array.isArray(root['examples']) ? (root['examples'] as unknown[]) : [];
  return new MockGenerator(root, seed).value(schema, examples, 0);
}

const WORDS = [
  'alpha', 'bravo', 'cedar', 'delta', 'ember', 'fjord', 'gale', 'harbor', 'iris', 'juniper', 'kelp',
  'lumen', 'maple', 'nectar', 'onyx', 'pine', 'quartz', 'raven', 'sage', 'tide', 'umber', 'vale',
  'willow', 'xenon', 'yarrow', 'zephyr', 'meeting', 'review', 'deploy', 'summary', 'thread', 'prompt',
]; // prettier-ignore

class MockGenerator {
  readonly #root: SchemaObject;
  readonly #next: () => number;

  constructor(root: SchemaObject, seed: number) {
    this.#root = root;
    this.#next = mulberry32(seed);
  }

  value(schema: JsonSchema | undefined, examples: readonly unknown[], depth: number): unknown {
    if (schema === undefined || schema === true) return this.#word();
    if (schema === false) return null;
    const s = this.#resolve(schema);
    if ('const' in s) return structuredClone(s['const']);
    if (Array.isArray(s['enum'])) return structuredClone(this.#pick(s['enum'] as unknown[]));
    if (Array.isArray(s['allOf'])) return this.value(this.#mergeAllOf(s), examples, depth);
    for (const key of ['oneOf', 'anyOf'] as const) {
      const options = s[key];
      if (Array.isArray(options) && options.length > 0) {
        const { [key]: _omit, ...rest } = s;
        const chosen = this.#resolve(this.#pick(options as JsonSchema[]));
        return this.value({ ...rest, ...chosen }, examples, depth);
      }
    }
    const type = this.#chooseType(s, depth);
    const fromExample = this.#fromExamples(s, type, examples);
    if (fromExample.found) return fromExample.value;
    switch (type) {
      case 'null':
        return null;
      case 'boolean':
        return this.#next() < 0.5;
      case 'integer':
        return this.#integer(s);
      case 'number':
        return this.#number(s);
      case 'string':
        return this.#string(s);
      case 'array':
        return this.#array(s, examples, depth);
      case 'object':
        return this.#object(s, examples, depth);
      default:
        return null;
    }
  }

  #chooseType(s: SchemaObject, depth: number): string {
    const declared = s['type'];
    const types = Array.isArray(declared)
      ? (declared as string[])
      : typeof declared === 'string'
        ? [declared]
        : s['properties'] !== undefined
          ? ['object']
          : s['items'] !== undefined
            ? ['array']
            : ['string'];
    const concrete = types.filter((t) => t !== 'null');
    if (concrete.length === 0) return 'null';
    // Nullable: null about a quarter of the time, never so deep that the mock explodes.
    if (concrete.length < types.length && (this.#next() < 0.25 || depth > 6)) return 'null';
    return this.#pick(concrete);
  }

  /** A scalar from the examples, when it fits the caps and the node's own constraints. */
  #fromExamples(
    s: SchemaObject,
    type: string,
    examples: readonly unknown[],
  ): { found: true; value: unknown } | { found: false } {
    const own = Array.isArray(s['examples']) ? (s['examples'] as unknown[]) : [];
    const candidates = [...own, ...examples].filter((e) => fitsScalar(s, type, e));
    if (candidates.length === 0 || this.#next() >= 0.3) return { found: false };
    const value = this.#pick(candidates);
    if (typeof value !== 'string') return { found: true, value };
    // A string example is a seed, not the value: keep its flavour, vary its tail.
    const varied = `${value}-${Math.floor(this.#next() * 1e6).toString(36)}`;
    return fitsScalar(s, type, varied) ? { found: true, value: varied } : { found: false };
  }

  #integer(s: SchemaObject): number {
    const { low, high } = bounds(s, true);
    const multiple = typeof s['multipleOf'] === 'number' ? s['multipleOf'] : 1;
    const lowM = Math.ceil(low / multiple);
    const highM = Math.floor(high / multiple);
    if (highM < lowM) return low;
    return (lowM + Math.floor(this.#next() * (highM - lowM + 1))) * multiple;
  }

  #number(s: SchemaObject): number {
    if (typeof s['multipleOf'] === 'number') return this.#integer(s);
    const { low, high } = bounds(s, false);
    const value = Math.round((low + this.#next() * (high - low)) * 100) / 100;
    return Math.min(Math.max(value, low), high);
  }

  #string(s: SchemaObject): string {
    const format = typeof s['format'] === 'string' ? s['format'] : undefined;
    const formatted = format ? this.#format(format) : undefined;
    if (formatted !== undefined) return formatted;
    const min = typeof s['minLength'] === 'number' ? s['minLength'] : 0;
    const max = Math.max(
      min,
      Math.min(typeof s['maxLength'] === 'number' ? s['maxLength'] : Infinity, MAX_STRING),
    );
    if (typeof s['pattern'] === 'string') {
      const seed = Math.floor(this.#next() * 2 ** 31);
      const { examples: _e, default: _d, ...plain } = s;
      const value = generateSync({ ...plain, type: 'string', maxLength: max } as never, {
        seed,
        maxLength: max,
      });
      if (typeof value === 'string') return value;
    }
    const low = Math.min(Math.max(min, 3), max);
    const high = Math.min(max, Math.max(low, 40));
    const target = low + Math.floor(this.#next() * (high - low + 1));
    let text = `${this.#word()}-${Math.floor(this.#next() * 1e6).toString(36)}`;
    while (text.length < target) text += ` ${this.#word()}`;
    return text.slice(0, target);
  }

  #format(format: string): string | undefined {
    switch (format) {
      case 'uuid':
        return this.#uuid();
      case 'date-time': {
        const ms = Date.UTC(2024, 0, 1) + Math.floor(this.#next() * 3 * 365 * 86_400_000);
        const micros = String(Math.floor(this.#next() * 1e6)).padStart(6, '0');
        return `${new Date(ms).toISOString().slice(0, 19)}.${micros}+00:00`;
      }
      case 'date':
        return new Date(Date.UTC(2024, 0, 1) + Math.floor(this.#next() * 1000) * 86_400_000)
          .toISOString()
          .slice(0, 10);
      case 'email':
        return `${this.#word()}.${this.#word()}${Math.floor(this.#next() * 100)}@example.com`;
      case 'uri':
      case 'url':
      case 'iri':
        return `https://example.com/${this.#word()}/${Math.floor(this.#next() * 1e6).toString(36)}`;
      case 'uri-reference':
        return `/${this.#word()}/${Math.floor(this.#next() * 1e6).toString(36)}`;
      case 'hostname':
        return `${this.#word()}.example.com`;
      case 'ipv4':
        return Array.from({ length: 4 }, () => Math.floor(this.#next() * 256)).join('.');
      default:
        return undefined;
    }
  }

  #array(s: SchemaObject, examples: readonly unknown[], depth: number): unknown[] {
    const min = typeof s['minItems'] === 'number' ? s['minItems'] : 0;
    const max = Math.max(
      min,
      Math.min(typeof s['maxItems'] === 'number' ? s['maxItems'] : Infinity, MAX_ITEMS),
    );
    const count = depth > 6 ? min : min + Math.floor(this.#next() * (max - min + 1));
    const itemExamples = examples.flatMap((e) => (Array.isArray(e) ? e : []));
    const items = s['items'];
    const out: unknown[] = [];
    const seen = new Set<string>();
    for (let i = 0, attempts = 0; out.length < count && attempts < count * 10; attempts++, i++) {
      const schema = Array.isArray(items)
        ? (items[i] as JsonSchema | undefined)
        : (items as JsonSchema | undefined);
      const item = this.value(schema, itemExamples, depth + 1);
      if (s['uniqueItems'] === true) {
        const key = JSON.stringify(item);
        if (seen.has(key)) continue;
        seen.add(key);
      }
      out.push(item);
    }
    return out;
  }

  #object(s: SchemaObject, examples: readonly unknown[], depth: number): Record<string, unknown> {
    const properties = (s['properties'] ?? {}) as Record<string, JsonSchema>;
    const required = new Set(Array.isArray(s['required']) ? (s['required'] as string[]) : []);
    const out: Record<string, unknown> = {};
    for (const [name, schema] of Object.entries(properties)) {
      if (!required.has(name) && (this.#next() < 0.5 || depth > 6)) continue;
      const sub = examples.flatMap((e) => (isObject(e) && name in e ? [e[name]] : []));
      out[name] = this.value(schema, sub, depth + 1);
    }
    for (const name of required) {
      if (!(name in out)) out[name] = this.value(undefined, [], depth + 1);
    }
    const additional = s['additionalProperties'];
    if (additional !== false && Object.keys(properties).length === 0 && depth <= 6) {
      const extra = Math.floor(this.#next() * 4);
      for (let i = 0; i < extra; i++) {
        const schema = isObject(additional)
          ? (additional as JsonSchema)
          : { type: ['string', 'integer', 'boolean'] };
        out[`${this.#word()}_${i}`] = this.value(schema, [], depth + 1);
      }
    }
    return out;
  }

  #resolve(schema: JsonSchema): SchemaObject {
    let s: JsonSchema = schema;
    for (let hops = 0; typeof s === 'object' && typeof s['$ref'] === 'string' && hops < 32; hops++) {
      const { $ref, ...rest } = s as SchemaObject & { $ref: string };
      const target = resolvePointer(this.#root, $ref);
      if (target === undefined) throw new Error(`cannot generate a mock: unresolvable $ref ${$ref}`);
      s = typeof target === 'object' ? { ...rest, ...target } : target;
    }
    return typeof s === 'object' ? s : {};
  }

  #mergeAllOf(s: SchemaObject): SchemaObject {
    const { allOf, ...rest } = s;
    let merged: Record<string, unknown> = { ...rest };
    for (const part of allOf as JsonSchema[]) {
      const p = this.#resolve(part);
      merged = {
        ...merged,
        ...p,
        properties: { ...(merged['properties'] as object), ...(p['properties'] as object) },
        required: [...((merged['required'] as string[]) ?? []), ...((p['required'] as string[]) ?? [])],
      };
    }
    return merged;
  }

  #uuid(): string {
    const hex = Array.from({ length: 32 }, () => Math.floor(this.#next() * 16).toString(16));
    hex[12] = '4';
    hex[16] = ((Math.floor(this.#next() * 4) + 8) as number).toString(16);
    const h = hex.join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  #word(): string {
    return this.#pick(WORDS);
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#next() * items.length)] as T;
  }
}

function bounds(s: SchemaObject, integer: boolean): { low: number; high: number } {
  const step = integer ? 1 : 0.01;
  let low = typeof s['minimum'] === 'number' ? s['minimum'] : -Infinity;
  let high = typeof s['maximum'] === 'number' ? s['maximum'] : Infinity;
  if (typeof s['exclusiveMinimum'] === 'number') low = Math.max(low, s['exclusiveMinimum'] + step);
  if (typeof s['exclusiveMaximum'] === 'number') high = Math.min(high, s['exclusiveMaximum'] - step);
  if (low === -Infinity && high === Infinity) return { low: 0, high: 1000 };
  if (low === -Infinity) low = Math.min(0, high - 1000);
  if (high === Infinity) high = low + 1000;
  if (integer) {
    low = Math.ceil(low);
    high = Math.floor(high);
  }
  return { low, high: Math.max(low, high) };
}

function fitsScalar(s: SchemaObject, type: string, value: unknown): boolean {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || (type === 'integer' && !Number.isInteger(value))) return false;
      const { low, high } = bounds(s, type === 'integer');
      const unbounded = s['minimum'] === undefined && s['maximum'] === undefined;
      return unbounded || (value >= low && value <= high);
    }
    case 'string': {
      if (typeof value !== 'string' || s['pattern'] !== undefined || s['format'] !== undefined) return false;
      const length = [...value].length;
      const min = typeof s['minLength'] === 'number' ? s['minLength'] : 0;
      const max = Math.max(
        min,
        Math.min(typeof s['maxLength'] === 'number' ? s['maxLength'] : Infinity, MAX_STRING),
      );
      return length >= min && length <= max;
    }
    default:
      return false;
  }
}

function resolvePointer(root: SchemaObject, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node)) return undefined;
    node = node[token];
  }
  return node as JsonSchema | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
