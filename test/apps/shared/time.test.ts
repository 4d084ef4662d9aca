import { describe, expect, it } from 'vitest';
import { parseTimeSpec } from '../../../apps/shared/time.js';

const NOW = Date.parse('2026-12-05T02:00:00.000Z');

const cases: Array<[string, { given: string; want: string | null }]> = [
  ['seconds back', { given: '90s', want: '2026-12-05T01:58:30.000Z' }],
  ['minutes back', { given: '10m', want: '2026-12-05T01:50:00.000Z' }],
  ['hours back', { given: '2h', want: '2026-12-05T00:00:00.000Z' }],
  ['days back', { given: '7d', want: '2026-11-28T02:00:00.000Z' }],
  ['weeks back', { given: '1w', want: '2026-11-28T02:00:00.000Z' }],
  ['milliseconds back', { given: '500ms', want: '2026-12-05T01:59:59.500Z' }],
  ['ISO time', { given: '2026-12-01T10:00:00Z', want: '2026-12-01T10:00:00.000Z' }],
  ['ISO with offset', { given: '2026-12-01T10:00:00+02:00', want: '2026-12-01T08:00:00.000Z' }],
  ['unix seconds', { given: '1796436000', want: '2026-12-05T02:00:00.000Z' }],
  ['a word', { given: 'yesterday', want: null }],
  ['a unit alone', { given: 'm', want: null }],
  ['a bare number', { given: '42', want: null }],
  ['an impossible date', { given: '2026-13-45', want: null }],
];

describe('parseTimeSpec', () => {
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(parseTimeSpec(given, NOW)?.toISOString() ?? null).toBe(want);
  });
});
