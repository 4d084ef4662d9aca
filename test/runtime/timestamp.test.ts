import { describe, expect, it } from 'vitest';
import { formatTimestamp } from '../../runtime/envelope.js';

describe('formatTimestamp (Python isoformat with microseconds and +00:00)', () => {
  it('formats given dates, across seconds and before 1970', () => {
    expect(formatTimestamp(new Date('2026-11-26T16:15:23.030Z'))).toBe('2026-11-26T16:15:23.030000+00:00');
    expect(formatTimestamp(new Date('2026-11-26T16:15:23.999Z'))).toBe('2026-11-26T16:15:23.999000+00:00');
    expect(formatTimestamp(new Date('2026-11-26T16:15:24.000Z'))).toBe('2026-11-26T16:15:24.000000+00:00');
    expect(formatTimestamp(new Date('2026-11-26T16:15:23.001Z'))).toBe('2026-11-26T16:15:23.001000+00:00');
    expect(formatTimestamp(new Date('1969-12-31T23:59:59.250Z'))).toBe('1969-12-31T23:59:59.250000+00:00');
  });

  it('now: microseconds, within a second of the clock, and never going back', () => {
    const samples = Array.from({ length: 1000 }, () => formatTimestamp());
    for (const s of samples) expect(s).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
    expect(Math.abs(Date.parse(samples[0] as string) - Date.now())).toBeLessThan(1000);
    expect([...samples].sort()).toEqual(samples);
  });

  it('an invalid date is an error, not a string', () => {
    expect(() => formatTimestamp(new Date(Number.NaN))).toThrow(RangeError);
  });
});
