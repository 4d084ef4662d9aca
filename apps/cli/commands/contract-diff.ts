/**
 * `bb diff`: the contract report of codegen/contract (`bloodbank-codegen diff`), from bb. The report,
 * rules and exit codes are codegen's own, loaded only when this command runs (DESIGN.md §1 lets apps/
 * import codegen/; only runtime/ and generated/ may not), so there is one implementation of the diff.
 */
import type { GlobalOptions } from '../support/context.js';

export interface DiffOptions {
  readonly against?: string;
  readonly base?: string;
  readonly input?: string;
  readonly mode?: string;
  readonly json?: boolean;
  /** `--color`; absent: colour when stdout is a terminal. */
  readonly color?: boolean;
}

/** The argv `bloodbank-codegen diff` takes for these options. */
export function diffArgs(options: DiffOptions): string[] {
  const args: string[] = [];
  if (options.input !== undefined) args.push('--input', options.input);
  if (options.against !== undefined) args.push('--against', options.against);
  if (options.base !== undefined) args.push('--base', options.base);
  if (options.mode !== undefined) args.push('--mode', options.mode);
  if (options.json) args.push('--json');
  if (options.color === true) args.push('--color');
  return args;
}

/** Exit 0 compatible, 1 breaking, 2 invalid input (as `bloodbank-codegen diff`). */
export async function diff(_globals: GlobalOptions, options: DiffOptions): Promise<number> {
  const { runContractCommand } = await import('bloodbank-codegen/contract/cli.js');
  return runContractCommand('diff', diffArgs(options));
}
