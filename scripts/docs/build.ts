/**
 * `npm run docs [-- --out DIR] [-- --input asyncapi.yaml]`: publish the static docs site of the AsyncAPI
 * document (default output `site/`). Parses with @asyncapi/parser (validation included, so a broken
 * document fails here with the parser's message), renders every page, writes them. Offline.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fromFile, Parser } from '@asyncapi/parser';
import { buildModel } from './model.js';
import { renderSite } from './render.js';

export interface BuildResult {
  readonly out: string;
  readonly files: number;
  readonly events: number;
  readonly ms: number;
}

/** Build the site of `input` into `out`. Pages the previous build wrote there are replaced. */
export async function buildDocs(input: string, out: string): Promise<BuildResult> {
  const started = performance.now();
  const parser = new Parser({ ruleset: { core: true, recommended: false } });
  const { document, diagnostics } = await fromFile(parser, resolve(input)).parse();
  const errors = diagnostics.filter((d) => d.severity === 0);
  if (!document || errors.length > 0) {
    const detail = errors
      .slice(0, 5)
      .map((d) => `  /${d.path.join('/')}: ${d.message}`)
      .join('\n');
    throw new Error(`cannot build the docs: ${input} is not a valid AsyncAPI document\n${detail}`);
  }
  const model = buildModel(document.json() as unknown as Record<string, unknown>);
  const files = renderSite(model);
  for (const folder of ['events', 'domains', 'assets'])
    await rm(join(out, folder), { recursive: true, force: true });
  const dirs = new Set(files.map((f) => dirname(join(out, f.path))));
  await Promise.all([...dirs].map((d) => mkdir(d, { recursive: true })));
  await Promise.all(files.map((f) => writeFile(join(out, f.path), f.content)));
  return {
    out,
    files: files.length,
    events: model.events.length,
    ms: Math.round(performance.now() - started),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'site' },
      input: { type: 'string', default: 'asyncapi.yaml' },
    },
  });
  const out = resolve(values.out);
  const result = await buildDocs(values.input, out);
  console.log(
    `docs: ${result.events} events, ${result.files} files in ${relative(process.cwd(), out) || '.'}/ (${(result.ms / 1000).toFixed(1)} s); open ${join(relative(process.cwd(), out) || '.', 'index.html')}`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
