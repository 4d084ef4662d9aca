import { v5 as referenceUuid5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import {
  compareCodePoints,
  deterministicId,
  float,
  NAMESPACE_OID,
  pythonFloatRepr,
  pythonStr,
  uniqueKey,
  uuid5,
} from '../../runtime/ids.js';

describe('deterministic ids (DESIGN.md §6 vectors)', () => {
  it.each([
    [
      'github.pr.created',
      { repo_owner: 'delorenj', repo_name: 'trinote', pr_number: 423 },
      '22fe9282-8389-5e39-adeb-84fa16ae582b',
    ],
    [
      'fireflies.transcript.upload',
      { user_id: 'u1', file_path: '/a/b.mp3' },
      '85e4c836-0b8c-5643-b48c-48a5451472ab',
    ],
    [
      'artifact.created',
      { uri: 'file:///x', flag: true, n: null, d: float(1) },
      'eecfe20f-d9fa-5791-8473-85b8cc4f336f',
    ],
  ] as const)('%s %j → %s', (type, fields, want) => {
    expect(deterministicId(type, fields)).toBe(want);
  });

  it('field order does not matter; keys sort by code point as Python does', () => {
    expect(uniqueKey({ b: 1, a: 2, B: 3 })).toBe('B=3|a=2|b=1');
    expect(deterministicId('x.y', { a: 1, b: 2 })).toBe(deterministicId('x.y', { b: 2, a: 1 }));
  });

  // Vectors computed with Python 3: "|".join(f"{k}={v}" for k, v in sorted(fields.items())), then uuid5.
  // U+E000–U+FFFF sort before astral characters (emoji) by code point; by UTF-16 code unit they sort after.
  it.each([
    [
      'x.y',
      {
        '\ue000': 1,
        '\u{1F600}': 2,
        '\uffff': 'x',
        a: true,
        '\u{1F44D}': null,
        'z\u{10000}': 3,
        'z\ufb01': 4,
      },
      'a=True|z\ufb01=4|z\u{10000}=3|\ue000=1|\uffff=x|\u{1F44D}=None|\u{1F600}=2',
      'fc29f52d-d233-5e3a-8774-74df3d2b5ee4',
    ],
    [
      'a.b',
      { '\u{1F600}name': 'b', '\uff21name': 'a' },
      '\uff21name=a|\u{1F600}name=b',
      'afb0038a-a909-5c6a-b085-d9d3014efb62',
    ],
  ] as const)('%s: private-use and emoji field names sort by code point', (type, fields, key, want) => {
    expect(uniqueKey(fields)).toBe(key);
    expect(deterministicId(type, fields)).toBe(want);
  });

  it('compareCodePoints orders as Python sorted() does', () => {
    const names = ['\u{1F600}', '\uffff', 'a', '\ue000', 'ab', '', '\u{10000}', '\ud7ff'];
    // sorted(['\U0001F600', '\uffff', 'a', '\ue000', 'ab', '', '\U00010000', '\ud7ff']) in Python 3
    expect([...names].sort(compareCodePoints)).toEqual([
      '',
      'a',
      'ab',
      '\ud7ff',
      '\ue000',
      '\uffff',
      '\u{10000}',
      '\u{1F600}',
    ]);
  });

  it('uuid5 agrees with the uuid package', () => {
    for (const name of ['', 'bloodbank:a.b:k=v', 'ünïcødé ✓', 'x'.repeat(1000)]) {
      expect(uuid5(name, NAMESPACE_OID)).toBe(referenceUuid5(name, NAMESPACE_OID));
    }
  });
});

describe("Python's str() rendering", () => {
  it.each([
    [true, 'True'],
    [false, 'False'],
    [null, 'None'],
    [423, '423'],
    [1.5, '1.5'],
    [float(1), '1.0'],
    [float(-0), '-0.0'],
    [1e16, '10000000000000000'],
    [float(1e16), '1e+16'],
    [123456789012345.6, '123456789012345.6'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [0.1 + 0.2, '0.30000000000000004'],
    [float(NaN), 'nan'],
    [float(Infinity), 'inf'],
    [['a', 1, "it's"], `['a', 1, "it's"]`],
  ] as const)('%j → %s', (value, want) => {
    expect(pythonStr(value)).toBe(want);
  });

  it('float repr switches to exponent form where Python does', () => {
    expect(pythonFloatRepr(1e15)).toBe('1000000000000000.0');
    expect(pythonFloatRepr(2.5e-5)).toBe('2.5e-05');
  });
});
