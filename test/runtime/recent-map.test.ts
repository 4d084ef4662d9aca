import { describe, expect, it } from 'vitest';
import { RecentMap } from '../../runtime/recent-map.js';

describe('RecentMap', () => {
  it('keeps at least the last capacity/2 keys and never more than capacity', () => {
    const m = new RecentMap<number, string>(10);
    for (let i = 0; i < 1_000; i++) m.set(i, `v${i}`);
    for (let i = 995; i < 1_000; i++) expect(m.get(i)).toBe(`v${i}`);
    let kept = 0;
    for (let i = 0; i < 1_000; i++) if (m.get(i) !== undefined) kept += 1;
    expect(kept).toBeLessThanOrEqual(10);
    expect(m.get(0)).toBeUndefined();
  });

  it('a key read from the older generation stays; set replaces, delete forgets everywhere', () => {
    const m = new RecentMap<string, number>(4);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3); // a, b move to the older generation
    expect(m.get('a')).toBe(1); // promoted
    m.set('d', 4);
    m.set('e', 5); // the generation holding b is dropped, a survived by being read
    expect(m.get('a')).toBe(1);
    expect(m.get('b')).toBeUndefined();
    m.set('a', 10);
    expect(m.get('a')).toBe(10);
    m.delete('a');
    expect(m.get('a')).toBeUndefined();
  });
});
