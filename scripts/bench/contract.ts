/**
 * `npm run bench -- contract`: the semantic contract diff (codegen/contract) beside @asyncapi/diff on the
 * same documents.
 *
 *   shipped    this repository's catalogue against a copy with one edit (a maxLength tightened)
 *   synthetic  a 1,000-event catalogue (scripts/bench/synthetic.ts) against a copy with 50 edits
 *              (25 optional properties added, 25 required properties added)
 *
 * "first" is the first run in this process (module loading, file reads and all); "median" of 5 more.
 * Both read the two documents and their schema files from disk (js-yaml for the document); @asyncapi/diff
 * is also timed on the two documents already bundled into one JSON each (the diff alone).
 * Targets (issue 11): shipped < 1 s cold, 1,000 events < 5 s, ours no slower than @asyncapi/diff.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import jsyaml from 'js-yaml';
import { writeSyntheticCatalogue } from './synthetic.js';

interface Row {
  readonly catalogue: string;
  readonly tool: string;
  readonly firstMs: number;
  readonly medianMs: number;
  readonly found: string;
  readonly target: string;
  readonly pass: boolean | null;
}

async function time(fn: () => unknown, runs = 5): Promise<{ first: number; median: number; last: unknown }> {
  let t = performance.now();
  let last = await fn();
  const first = performance.now() - t;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    last = await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { first, median: samples[Math.floor(samples.length / 2)] as number, last };
}

function editJson(file: string, edit: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(file, JSON.stringify(json, null, 2));
}

async function compare(name: string, oldInput: string, newInput: string, targetMs: number): Promise<Row[]> {
  const [{ readContract }, { diffContracts }, { SchemaStore }, { bundleForParser }, asyncapiDiff] =
    await Promise.all([
      import('../../codegen/contract/read.js'),
      import('../../codegen/contract/diff.js'),
      import('../../codegen/schema-store.js'),
      import('../../codegen/load.js'),
      import('@asyncapi/diff'),
    ]);
  const ours = await time(() => diffContracts(readContract(oldInput), readContract(newInput)));
  const result = ours.last as ReturnType<typeof diffContracts>;
  const bundled = (input: string): unknown => {
    const store = new SchemaStore(join(input, '..'));
    const doc = store.addDocument(
      input,
      jsyaml.load(readFileSync(input, 'utf8'), { schema: jsyaml.CORE_SCHEMA }) as never,
    );
    store.preload(join(input, '..', 'schemas'));
    return JSON.parse(bundleForParser(store, doc).text) as unknown;
  };
  // Both tools read the two documents and their schema files from disk (the same js-yaml parse).
  const theirs = await time(() =>
    asyncapiDiff.diff(bundled(oldInput) as never, bundled(newInput) as never, {}),
  );
  const a = bundled(oldInput);
  const b = bundled(newInput);
  const diffOnly = await time(() => asyncapiDiff.diff(a as never, b as never, {}));
  const out = diffOnly.last as { breaking(): unknown[]; nonBreaking(): unknown[]; unclassified(): unknown[] };
  return [
    {
      catalogue: name,
      tool: 'bloodbank contract diff',
      firstMs: Math.round(ours.first),
      medianMs: Math.round(ours.median),
      found: `${result.changes.length} payload changes classified (${result.changes.filter((c) => c.breaking).length} breaking), each with rule and pointer`,
      target: `< ${targetMs} ms`,
      pass: ours.first < targetMs,
    },
    {
      catalogue: name,
      tool: '@asyncapi/diff 0.5 (reading both documents)',
      firstMs: Math.round(theirs.first),
      medianMs: Math.round(theirs.median),
      found: `${out.breaking().length} breaking, ${out.nonBreaking().length} non-breaking, ${out.unclassified().length} unclassified path edits`,
      target: 'baseline',
      pass: null,
    },
    {
      catalogue: name,
      tool: '@asyncapi/diff 0.5 (diff of pre-bundled JSON only)',
      firstMs: Math.round(diffOnly.first),
      medianMs: Math.round(diffOnly.median),
      found: 'same',
      target: 'baseline',
      pass: null,
    },
  ];
}

export async function benchContract(
  options: { log?: (line: string) => void } = {},
): Promise<{ rows: Row[] }> {
  const log = options.log ?? console.log;
  const work = mkdtempSync(join(tmpdir(), 'bb-bench-contract-'));
  try {
    // The shipped catalogue with one edit.
    const shipped = join(work, 'shipped');
    cpSync('asyncapi.yaml', join(shipped, 'asyncapi.yaml'));
    cpSync('schemas', join(shipped, 'schemas'), { recursive: true });
    editJson(join(shipped, 'schemas/fireflies/transcript.ready.json'), (s) => {
      const props = s['properties'] as Record<string, Record<string, unknown>>;
      (props['title'] as Record<string, unknown>)['maxLength'] = 100;
    });
    log('  shipped catalogue: 1 edit (fireflies.transcript.ready /payload/title maxLength)');
    const rows = await compare(
      'shipped (24 keys, 1 edit)',
      'asyncapi.yaml',
      join(shipped, 'asyncapi.yaml'),
      1000,
    );

    // 1,000 synthetic events with 50 edits.
    const before = writeSyntheticCatalogue(join(work, 'synthetic-old'), 1000);
    const afterDir = join(work, 'synthetic-new');
    cpSync(join(work, 'synthetic-old'), afterDir, { recursive: true });
    for (let i = 0; i < 50; i++) {
      const file = join(
        afterDir,
        relative(join(work, 'synthetic-old'), before.payloadSchemas[i * 20] as string),
      );
      editJson(file, (s) => {
        const props = s['properties'] as Record<string, unknown>;
        props['bench_extra'] = { type: 'string', maxLength: 10 };
        if (i % 2 === 1) s['required'] = [...((s['required'] as string[] | undefined) ?? []), 'bench_extra'];
      });
    }
    log('  synthetic catalogue: 1,000 events, 50 edits (25 optional, 25 required properties added)');
    rows.push(
      ...(await compare(
        'synthetic (1,000 keys, 50 edits)',
        before.input,
        join(afterDir, relative(join(work, 'synthetic-old'), before.input)),
        5000,
      )),
    );
    return { rows };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
