/**
 * The compiled generator compiles the consume validators in a worker thread on machines with more than
 * two cores. These machines have two, so the worker is forced here (BLOODBANK_CODEGEN_VALIDATOR_WORKER=1)
 * and its output must be byte-identical to the committed generated/ (which the main thread produced).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuild } from '../support/build.js';

const out = mkdtempSync(join(tmpdir(), 'bb-codegen-worker-'));

beforeAll(() => ensureBuild(), 180_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

function files(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(dir, join(base, e.name)) : [join(base, e.name)],
  );
}

it('the compiled bin with the consume stage in a worker writes exactly the committed generated/', async () => {
  const { stderr } = await promisify(execFile)(
    process.execPath,
    ['codegen/dist/cli.js', '--input', 'asyncapi.yaml', '--out', out],
    {
      env: {
        ...process.env,
        BLOODBANK_CODEGEN_VALIDATOR_WORKER: '1',
        BLOODBANK_CODEGEN_TRACE: '1',
        BLOODBANK_CODEGEN_CACHE: 'off',
      },
    },
  );
  expect(stderr).toContain('consume validators compiled in a worker thread');
  expect(stderr).not.toContain('validator worker failed');
  const committed = files('generated')
    .filter((f) => f !== '.manifest.json')
    .sort();
  expect(
    files(out)
      .filter((f) => f !== '.manifest.json')
      .sort(),
  ).toEqual(committed);
  for (const f of committed)
    expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join('generated', f), 'utf8'));
}, 120_000);
