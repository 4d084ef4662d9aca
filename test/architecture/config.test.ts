/**
 * DESIGN.md §9: every environment variable the library and the apps read is read in runtime/config.ts,
 * so `bb config`, the README's reference and validation see all of them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

describe('configuration is read in one place', () => {
  it('no module of runtime/ or apps/ but runtime/config.ts reads process.env', () => {
    const offenders: string[] = [];
    for (const file of [...sources('runtime'), ...sources('apps')]) {
      if (file === join('runtime', 'config.ts')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/process\.env\s*(\[|\.)/.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
