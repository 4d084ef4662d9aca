import { formatTimestamp } from './envelope.js';
import type { JsonSchema, ValidationIssue, ValidationResult, Validator } from './registry.js';

/** The shape of an ajv-compiled validate function (standalone output included). */
export interface AjvValidateFunction {
  (data: unknown): boolean;
  errors?: readonly AjvErrorObject[] | null;
}

export interface AjvErrorObject {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
}

/** Turn ajv errors into issues whose pointer names the offending field (missing ones included). */
export function toIssues(
  errors: readonly AjvErrorObject[] | null | undefined,
  prefix = '',
): ValidationIssue[] {
  return (errors ?? []).map((e) => {
    let pointer = prefix + e.instancePath;
    const p = e.params;
    if (e.keyword === 'required' && typeof p['missingProperty'] === 'string')
      pointer += `/${escape(p['missingProperty'])}`;
    if (e.keyword === 'additionalProperties' && typeof p['additionalProperty'] === 'string') {
      pointer += `/${escape(p['additionalProperty'])}`;
      return { pointer, rule: e.keyword, message: 'is not allowed (unknown field)', params: p };
    }
    if (e.keyword === 'required') return { pointer, rule: e.keyword, message: 'is required', params: p };
    return { pointer, rule: e.keyword, message: e.message ?? `fails ${e.keyword}`, params: p };
  });
}

function escape(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Wrap an ajv validate function as a `Validator`. */
export function wrapValidator<T>(fn: AjvValidateFunction, prefix = ''): Validator<T> {
  return (data) =>
    fn(data) ? { ok: true, value: data as T } : { ok: false, issues: toIssues(fn.errors, prefix) };
}

export type { ValidationIssue, ValidationResult, Validator };

/**
 * Fill top-level fields marked `x-bloodbank-default: now` with the current UTC time (in the original's
 * format) when they are missing, then validate. Used by publish validators.
 */
export function fillingNow<T>(fields: readonly string[], validate: Validator<T>): Validator<T> {
  return (data) => {
    if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
      const record = data as Record<string, unknown>;
      for (const f of fields) if (record[f] === undefined) record[f] = formatTimestamp();
    }
    return validate(data);
  };
}

/** Payload validator issues as pointers into the envelope (`/duration` → `/payload/duration`). */
export function underPayload(issues: readonly ValidationIssue[]): ValidationIssue[] {
  return issues.map((i) =>
    i.pointer.startsWith('/payload') ? i : { ...i, pointer: `/payload${i.pointer}` },
  );
}

/**
 * What the consume path needs beyond ajv to settle a payload on the schema branch it matched: the
 * self-contained schema (as in `schemas.ts`) and, keyed by the JSON pointer of each `oneOf`/`anyOf`
 * branch (and `if` clause) whose subtree holds a closed object or a default, precompiled validators that
 * never change data: `[strict, tolerant]` (tolerant: unknown properties allowed, `oneOf` read as `anyOf`).
 */
export interface SettlePlan {
  readonly schema: JsonSchema;
  readonly matchers: Readonly<
    Record<string, readonly [strict: AjvValidateFunction, tolerant?: AjvValidateFunction]>
  >;
  /** Some branch holds a `default` (ajv applies none inside `oneOf`/`anyOf`/`if`). */
  readonly branchDefaults: boolean;
}

/**
 * The publish validator, plus defaults from the branch that matched (ajv applies none inside
 * `oneOf`/`anyOf`), so what travels carries every field, as outside unions.
 */
export function publishValidator<T>(strict: AjvValidateFunction, plan: SettlePlan | null): Validator<T> {
  return (data) => {
    if (!strict(data)) return { ok: false, issues: toIssues(strict.errors) };
    if (plan?.branchDefaults) settle(plan, plan.schema, '', data, false);
    return { ok: true, value: data as T };
  };
}

/**
 * The consume validator (DESIGN.md §5). Never changes a payload the publish validator accepts:
 * 1. the publish (strict) validator runs first, without removing anything: whatever it accepts passes
 *    unchanged (only branch defaults a newer schema added are filled in, as publish would have);
 * 2. only when it refuses, the tolerant validator (unknown properties allowed, naive timestamps
 *    accepted; compiled without ajv's `removeAdditional`, which strips properties while it is still
 *    *trying* `oneOf`/`anyOf` branches and so corrupts or rejects valid union members) decides; if it
 *    accepts, unknown properties are dropped by walking the schema along the branch that matched, each
 *    branch chosen by precompiled validators that do not mutate (a strictly matching branch first).
 * Why not ajv's `discriminator`: it covers only `oneOf` with a const tag, not `anyOf`, untagged unions
 * or `if/then/else`; the walk handles all of them with one rule.
 */
export function consumeValidator<T>(
  strict: AjvValidateFunction,
  tolerant: AjvValidateFunction,
  plan: SettlePlan | null,
): Validator<T> {
  return (data) => {
    if (strict(data)) {
      if (plan?.branchDefaults) settle(plan, plan.schema, '', data, false);
      return { ok: true, value: data as T };
    }
    if (!tolerant(data)) return { ok: false, issues: toIssues(tolerant.errors) };
    if (plan) settle(plan, plan.schema, '', data, true);
    return { ok: true, value: data as T };
  };
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `#` or `#/definitions/Name` (the bundled schema's own refs) → the node and its pointer. */
function resolveLocal(root: JsonSchema, ref: string): { node: JsonSchema; pointer: string } | null {
  if (!ref.startsWith('#')) return null;
  const pointer = decodeURIComponent(ref.slice(1));
  let node: unknown = root;
  for (const token of pointer.split('/').slice(1)) {
    if (!isRecord(node) && !Array.isArray(node)) return null;
    node = (node as Record<string, unknown>)[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node === undefined ? null : { node: node as JsonSchema, pointer };
}

/**
 * Walk `data` along `node` (at `pointer` of the bundled schema), after ajv accepted it: fill defaults
 * that are missing and, when `strip`, delete properties a closed object (`additionalProperties: false`)
 * does not declare. Composite keywords follow only the branch that matched.
 */
function settle(plan: SettlePlan, node: JsonSchema, pointer: string, data: unknown, strip: boolean): void {
  if (!isRecord(node)) return;
  const ref = node['$ref'];
  if (typeof ref === 'string') {
    const target = resolveLocal(plan.schema, ref);
    if (target) settle(plan, target.node, target.pointer, data, strip);
  }
  if (isRecord(data)) settleObject(plan, node, pointer, data, strip);
  else if (Array.isArray(data)) settleArray(plan, node, pointer, data, strip);
  const allOf = node['allOf'];
  if (Array.isArray(allOf))
    allOf.forEach((s, i) => settle(plan, s as JsonSchema, `${pointer}/allOf/${i}`, data, strip));
  for (const kind of ['anyOf', 'oneOf'] as const) {
    const list = node[kind];
    if (!Array.isArray(list) || !plan.matchers[`${pointer}/${kind}/0`]) continue;
    let chosen = list.findIndex((_s, i) => plan.matchers[`${pointer}/${kind}/${i}`]?.[0](data));
    if (chosen < 0 && strip)
      chosen = list.findIndex((_s, i) => plan.matchers[`${pointer}/${kind}/${i}`]?.[1]?.(data));
    if (chosen >= 0) settle(plan, list[chosen] as JsonSchema, `${pointer}/${kind}/${chosen}`, data, strip);
  }
  const matchIf = plan.matchers[`${pointer}/if`];
  if (matchIf) {
    const clause = matchIf[0](data) ? 'then' : 'else';
    if (node[clause] !== undefined)
      settle(plan, node[clause] as JsonSchema, `${pointer}/${clause}`, data, strip);
  }
}

function settleObject(
  plan: SettlePlan,
  node: Record<string, unknown>,
  pointer: string,
  data: Record<string, unknown>,
  strip: boolean,
): void {
  const properties = isRecord(node['properties']) ? node['properties'] : {};
  const patterns = isRecord(node['patternProperties'])
    ? Object.keys(node['patternProperties']).map((p) => ({ p, re: new RegExp(p, 'u') }))
    : [];
  const additional = node['additionalProperties'];
  for (const key of Object.keys(data)) {
    const escaped = key.replace(/~/g, '~0').replace(/\//g, '~1');
    let known = false;
    if (hasOwn(properties, key)) {
      known = true;
      settle(plan, properties[key] as JsonSchema, `${pointer}/properties/${escaped}`, data[key], strip);
    }
    for (const { p, re } of patterns) {
      if (!re.test(key)) continue;
      known = true;
      const sub = (node['patternProperties'] as Record<string, JsonSchema>)[p] as JsonSchema;
      settle(
        plan,
        sub,
        `${pointer}/patternProperties/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        data[key],
        strip,
      );
    }
    if (known) continue;
    if (additional === false) {
      if (strip) delete data[key];
    } else if (isRecord(additional))
      settle(plan, additional, `${pointer}/additionalProperties`, data[key], strip);
  }
  for (const [key, sub] of Object.entries(properties)) {
    if (!hasOwn(data, key) && isRecord(sub) && sub['default'] !== undefined)
      data[key] = structuredClone(sub['default']);
  }
}

function settleArray(
  plan: SettlePlan,
  node: Record<string, unknown>,
  pointer: string,
  data: unknown[],
  strip: boolean,
): void {
  const items = node['items'];
  if (Array.isArray(items)) {
    data.forEach((v, i) => {
      if (i < items.length) settle(plan, items[i] as JsonSchema, `${pointer}/items/${i}`, v, strip);
      else if (isRecord(node['additionalItems']))
        settle(plan, node['additionalItems'], `${pointer}/additionalItems`, v, strip);
    });
  } else if (isRecord(items)) data.forEach((v) => settle(plan, items, `${pointer}/items`, v, strip));
}
