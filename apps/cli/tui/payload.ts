/**
 * Live validation of the editor's text: JSON syntax first (with the line and column of the error), then
 * the event's publish validator, each issue located on the line of the field its JSON pointer names.
 */
import type { EventDefinition, ValidationIssue } from 'bloodbank/registry.js';

export interface LocatedIssue {
  /** JSON pointer into the payload (`/media_duration_seconds`), `''` for the payload itself. */
  readonly pointer: string;
  readonly rule: string;
  readonly message: string;
  /** 0-based line of the text where the field (or its nearest present parent) is written. */
  readonly line: number;
}

export type PayloadCheck =
  | { readonly state: 'valid'; readonly value: unknown }
  | { readonly state: 'syntax'; readonly message: string; readonly line: number; readonly column: number }
  | { readonly state: 'invalid'; readonly issues: readonly LocatedIssue[] };

/** Parse and validate `text` against `definition`'s publish validator (on a copy: defaults are not shown). */
export function checkPayload(definition: EventDefinition, text: string): PayloadCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return syntaxError(text, (error as Error).message);
  }
  const result = definition.validatePublish(structuredClone(value));
  if (result.ok) return { state: 'valid', value };
  const lines = pointerLines(text);
  return { state: 'invalid', issues: result.issues.map((issue) => locate(issue, lines)) };
}

function locate(issue: ValidationIssue, lines: ReadonlyMap<string, number>): LocatedIssue {
  let pointer = issue.pointer;
  let line = lines.get(pointer);
  while (line === undefined && pointer !== '') {
    pointer = pointer.slice(0, pointer.lastIndexOf('/'));
    line = lines.get(pointer);
  }
  return { pointer: issue.pointer, rule: issue.rule, message: issue.message, line: line ?? 0 };
}

function syntaxError(text: string, message: string): PayloadCheck {
  const position = /position (\d+)/.exec(message);
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  let line = 0;
  let column = 0;
  if (lineColumn) {
    line = Number(lineColumn[1]) - 1;
    column = Number(lineColumn[2]) - 1;
  } else {
    const offset = position ? Number(position[1]) : text.length;
    const before = text.slice(0, offset).split('\n');
    line = before.length - 1;
    column = (before[before.length - 1] ?? '').length;
  }
  const short = message
    .replace(/^JSON\.parse: /, '')
    .replace(/ in JSON at position \d+.*$/, '')
    .replace(/, ".*" is not valid JSON$/s, '');
  return { state: 'syntax', message: short === '' ? 'invalid JSON' : short, line, column };
}

/**
 * Map every JSON pointer of a (valid) JSON text to the 0-based line where its value starts (for members
 * of objects: where the member's key is). A tolerant scanner: it stops quietly at anything unexpected.
 */
export function pointerLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let i = 0;
  let line = 0;
  const skip = () => {
    while (i < text.length) {
      const c = text[i];
      if (c === '\n') line++;
      else if (c !== ' ' && c !== '\t' && c !== '\r') break;
      i++;
    }
  };
  const readString = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return text.slice(start + 1, i - 1);
    }
  };
  const escape = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');
  const value = (pointer: string, at: number): void => {
    skip();
    if (!out.has(pointer)) out.set(pointer, at);
    const c = text[i];
    if (c === '{') {
      i++;
      skip();
      if (text[i] === '}') {
        i++;
        return;
      }
      while (i < text.length) {
        skip();
        if (text[i] !== '"') return;
        const keyLine = line;
        const key = readString();
        skip();
        if (text[i] !== ':') return;
        i++;
        value(`${pointer}/${escape(key)}`, keyLine);
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') i++;
        return;
      }
    } else if (c === '[') {
      i++;
      skip();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let index = 0; i < text.length; index++) {
        skip();
        value(`${pointer}/${index}`, line);
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') i++;
        return;
      }
    } else if (c === '"') {
      readString();
    } else {
      while (i < text.length && !/[\s,}\]]/.test(text[i] as string)) i++;
    }
  };
  skip();
  value('', line);
  return out;
}

/** The pretty-printed form the editor shows (two-space indent, as the mock files are written). */
export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
