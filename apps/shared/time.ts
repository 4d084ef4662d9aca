/**
 * Points in time as `bb history --since`, `bb replay` and `GET /events/history` take them: a duration
 * back from now (`90s`, `10m`, `2h`, `7d`, `1w`, `500ms`) or an absolute time (ISO 8601, or unix seconds).
 */

const UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** What a bad value is told. */
export const TIME_RULE =
  'must be a duration back from now (90s, 10m, 2h, 7d) or a time (ISO 8601 or unix seconds)';

/** The instant `value` names, or null when it is neither a duration nor a time. */
export function parseTimeSpec(value: string, now: number = Date.now()): Date | null {
  const text = value.trim();
  const duration = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text);
  if (duration) return new Date(now - Number(duration[1]) * (UNITS_MS[duration[2] ?? 's'] ?? 1_000));
  if (/^\d{9,11}(?:\.\d+)?$/.test(text)) return new Date(Number(text) * 1000);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms);
}
