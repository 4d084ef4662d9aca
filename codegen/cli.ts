#!/usr/bin/env node
/**
 * bloodbank-codegen [--input asyncapi.yaml] [--out generated] [--check [--full]] [--watch]
 * bloodbank-codegen diff (--base <old.yaml> | --against <git ref>) [--input asyncapi.yaml] [--json]
 * Exit codes: 0 ok, 1 stale output (--check) or a breaking contract change, 2 invalid input.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isCodegenError } from 'bloodbank/errors/codegen-error.js';
import { runCodegen } from './index.js';
import { MANIFEST, OUTPUT_PACKAGES } from './write.js';

const USAGE = `Usage: bloodbank-codegen [options]

Generate typed payloads, the registry, precompiled validators and clients from an AsyncAPI 3 document.

Commands:
  diff             classify the payload changes against an older document (diff --help)
  version <key>    add the next version of an event beside the old one (version --help)

Options:
  --input <file>   AsyncAPI 3.0 document (default: asyncapi.yaml)
  --out <dir>      output folder (default: generated)
  --check          exit 1 naming the stale files when <dir> is out of date; answers from <dir>/.manifest.json
                   when it records these inputs, these outputs, this generator and these package versions,
                   else regenerates in memory and compares
  --full           with --check: always regenerate in memory and compare every file (CI)
  --watch          regenerate whenever the document or a schema changes
  --accept-breaking <reason>
                   let a breaking contract change through, recording the reason in
                   <dir>/contract.lock.json (without it a breaking change exits 1)
  -h, --help       show this help

Example:
  npm run codegen -- --input other/asyncapi.yaml --out other/generated`;

async function once(
  input: string,
  out: string,
  check: boolean,
  full: boolean,
  acceptBreaking?: string,
): Promise<number> {
  const started = performance.now();
  try {
    // The contract gate (codegen/contract/lock.ts): a breaking change stops here, nothing is written.
    const { contractGate } = await import('./contract/lock.js');
    const gate = contractGate({ input, out, check, acceptBreaking, color: process.stderr.isTTY === true });
    if (gate.message) console.error(gate.message);
    if (gate.code !== 0) return gate.code;
    const result = await runCodegen({ input, out, check, full });
    if (!check && gate.commit()) console.log(`codegen: contract.lock.json updated`);
    const ms = Math.round(performance.now() - started);
    if (check) {
      if (result.changed.length > 0) {
        console.error(
          `codegen --check: ${out} is out of date with ${input}; run npm run codegen. Stale files:`,
        );
        for (const f of result.changed) console.error(`  ${f}`);
        if (result.changed.length === 1 && result.changed[0] === MANIFEST)
          console.error(
            `Only ${MANIFEST} differs: codegen's sources or the installed versions of ${OUTPUT_PACKAGES.join(', ')} or of their dependencies are not those that generated ${out}.`,
          );
        return 1;
      }
      console.log(
        `codegen --check: ${out} is up to date (${result.fast ? 'manifest' : 'regenerated'}, ${ms} ms)`,
      );
      return 0;
    }
    const events = result.model?.events.length ?? 0;
    console.log(
      `codegen: ${events} routing keys → ${result.files.length} files in ${out} (${result.changed.length} changed, ${ms} ms)`,
    );
    return 0;
  } catch (error) {
    if (isCodegenError(error)) {
      console.error(`codegen: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

/** Subcommands with their own options (codegen/contract/cli.ts). */
const SUBCOMMANDS = new Set(['diff', 'version']);

async function main(): Promise<void> {
  const [sub, ...rest] = process.argv.slice(2);
  if (sub !== undefined && SUBCOMMANDS.has(sub)) {
    const { runContractCommand } = await import('./contract/cli.js');
    process.exit(await runContractCommand(sub, rest));
  }
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        input: { type: 'string', default: 'asyncapi.yaml' },
        out: { type: 'string', default: 'generated' },
        check: { type: 'boolean', default: false },
        full: { type: 'boolean', default: false },
        watch: { type: 'boolean', default: false },
        'accept-breaking': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`codegen: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const input = resolve(values.input);
  const out = resolve(values.out);
  if (values.full && !values.check) {
    console.error(`codegen: --full goes with --check\n\n${USAGE}`);
    process.exit(2);
  }
  const code = await once(input, out, values.check, values.full, values['accept-breaking']);
  if (!values.watch) process.exit(code);
  const { watch } = await import('chokidar');
  const { dirname, join } = await import('node:path');
  const watcher = watch([input, join(dirname(input), 'schemas')], { ignoreInitial: true });
  let timer: NodeJS.Timeout | undefined;
  watcher.on('all', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void once(input, out, false, false), 100);
  });
  // Said once chokidar has finished its initial scan: an edit saved before 'ready' is not reported
  // (ignoreInitial), so "watching" printed earlier would promise what is not yet true.
  watcher.once('ready', () => console.log(`codegen: watching ${values.input} and schemas/ (Ctrl-C to stop)`));
}

await main();
