import { formatTimestamp } from './envelope.js';
import type { ValidationIssue, ValidationResult, Validator } from './registry.js';

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
