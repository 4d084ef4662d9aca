/**
 * Event ids, compatible with the original Bloodbank: random ids are uuid4; deterministic ids are
 * `uuid5(NAMESPACE_OID, "<namespace>:<event_type>:<unique_key>")` where the unique key of a field set is
 * `k=v` pairs sorted by k and joined with `|`, values rendered as Python's `str()` renders them.
 */
import { createHash, randomUUID } from 'node:crypto';

/** RFC 4122 OID namespace, as Python's `uuid.NAMESPACE_OID`. */
export const NAMESPACE_OID = '6ba7b812-9dad-11d1-80b4-00c04fd430c8';

/** Marks a number that Python held as a float, so `1` renders `1.0` as the original did. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** `float(1)` renders as `1.0` in a deterministic key, as a Python float would. */
export function float(value: number): PyFloat {
  return new PyFloat(value);
}

export type IdFieldValue = string | number | boolean | null | undefined | PyFloat | readonly IdFieldValue[];

export function newEventId(): string {
  return randomUUID();
}

/** Tracker-level id: `uuid5(NAMESPACE_OID, f"{namespace}:{event_type}:{unique_key}")`. */
export function deterministicIdFromKey(
  eventType: string,
  uniqueKey: string,
  namespace = 'bloodbank',
): string {
  return uuid5(`${namespace}:${eventType}:${uniqueKey}`, NAMESPACE_OID);
}

/** The original's unique key of a field set: `k=v` sorted by k (code point order, as Python), joined by `|`. */
export function uniqueKey(fields: Readonly<Record<string, IdFieldValue>>): string {
  return Object.keys(fields)
    .sort(compareCodePoints)
    .map((k) => `${k}=${pythonStr(fields[k])}`)
    .join('|');
}

/**
 * Orders strings by Unicode code point, as Python's `sorted` does. JavaScript's `<` compares UTF-16 code
 * units, which puts an astral character (a surrogate pair, 0xD800–0xDFFF) before U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  for (;;) {
    if (i >= a.length || i >= b.length) return a.length - b.length;
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
}

/** Field-level id, as the original's `generate_event_id(event_type, **fields)`. Pure. */
export function deterministicId(eventType: string, fields: Readonly<Record<string, IdFieldValue>>): string {
  return deterministicIdFromKey(eventType, uniqueKey(fields));
}

/** Python's `str()` of a value. */
export function pythonStr(value: IdFieldValue): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value;
  if (value instanceof PyFloat) return pythonFloatRepr(value.value);
  if (typeof value === 'number') return Number.isInteger(value) ? intRepr(value) : pythonFloatRepr(value);
  return `[${value.map(pythonRepr).join(', ')}]`;
}

function pythonRepr(value: IdFieldValue): string {
  if (typeof value !== 'string') return pythonStr(value);
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const body = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
}

function intRepr(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form when exp < -4 or exp >= 16. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa, expPart] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exp = Number(expPart);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac || '0'}`;
}

/**
 * RFC 4122 name-based UUID (version 5, SHA-1), as Python's `uuid.uuid5`. Written with node:crypto rather
 * than the `uuid` package: importing that package alone took ~40 ms here, on every generated registry load.
 */
export function uuid5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new RangeError(`namespace must be a UUID, got ${JSON.stringify(namespace)}`);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
