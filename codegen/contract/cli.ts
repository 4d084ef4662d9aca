/**
 * `bloodbank-codegen diff` (also `npm run contract -- …`): classify every payload change between two
 * versions of an AsyncAPI document. Exit 0 compatible, 1 breaking, 2 invalid input.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isCodegenError } from 'bloodbank/errors/codegen-error.js';
import { diffContracts } from './diff.js';
import { checkoutAt } from './git.js';
import { readContract } from './read.js';
import { formatReport, toJson } from './report.js';
import { COMPATIBILITY_MODES } from './rules.js';
import type { Compatibility } from './rules.js';

export const DIFF_USAGE = `Usage: bloodbank-codegen diff [options]

Classify every message payload change between two versions of an AsyncAPI 3 document: backward (readers
built from the new schema accept what the old one allowed) and forward (readers built from the old schema
accept what the new one allows). Events are held FULL, command requests BACKWARD, replies FORWARD;
a channel's x-bloodbank-compatibility: full|backward|forward|none overrides that.

Options:
  --input <file>     the new document (default: asyncapi.yaml)
  --base <file>      the old document
  --against <ref>    the old document is --input as it was at this git commit (HEAD~1, origin/main)
  --mode <mode>      full|backward|forward|none for every channel that does not say otherwise
  --json             print { compatible, changes: [...] }
  --color            colour the report (default: when stdout is a terminal)
  -h, --help         show this help

Exit codes: 0 compatible, 1 breaking, 2 invalid input.

Example:
  npm run contract -- --against origin/main`;

export async function runContractCommand(command: string, argv: readonly string[]): Promise<number> {
  if (command === 'version') {
    const { runVersionCommand } = await import('./version.js');
    return runVersionCommand(argv);
  }
  if (command !== 'diff') throw new Error(`unknown contract command ${command}`);
  return runDiff(argv);
}

async function runDiff(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        input: { type: 'string', default: 'asyncapi.yaml' },
        base: { type: 'string' },
        against: { type: 'string' },
        mode: { type: 'string' },
        json: { type: 'boolean', default: false },
        color: { type: 'boolean' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`diff: ${(error as Error).message}\n\n${DIFF_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(DIFF_USAGE);
    return 0;
  }
  if ((values.base === undefined) === (values.against === undefined)) {
    console.error(`diff: give exactly one of --base <file> and --against <git ref>\n\n${DIFF_USAGE}`);
    return 2;
  }
  if (values.mode !== undefined && !COMPATIBILITY_MODES.includes(values.mode as Compatibility)) {
    console.error(`diff: --mode must be one of ${COMPATIBILITY_MODES.join(', ')}, got ${values.mode}`);
    return 2;
  }
  const input = resolve(values.input);
  let cleanup = (): void => undefined;
  try {
    let base: string;
    if (values.against !== undefined) {
      const checked = checkoutAt(input, values.against);
      cleanup = checked.cleanup;
      base = checked.input;
    } else base = resolve(values.base as string);
    const diff = diffContracts(readContract(base), readContract(input), {
      mode: values.mode as Compatibility | undefined,
    });
    if (values.json) console.log(JSON.stringify(toJson(diff), null, 2));
    else {
      console.log(
        formatReport(diff, {
          color: values.color ?? process.stdout.isTTY === true,
          versionCommand: 'npx bloodbank-codegen version',
        }),
      );
    }
    return diff.compatible ? 0 : 1;
  } catch (error) {
    if (isCodegenError(error) || error instanceof Error) {
      console.error(`diff: ${error.message}`);
      return 2;
    }
    throw error;
  } finally {
    cleanup();
  }
}
