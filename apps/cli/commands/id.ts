/** `bb id <type> key=value…`: the original's deterministic event id (DESIGN.md §6). */
import { deterministicId } from 'bloodbank/ids.js';
import type { GlobalOptions } from '../support/context.js';
import { CliError, EXIT } from '../support/errors.js';
import { out } from '../support/output.js';
import { parseFields } from '../support/payload.js';
import { ROUTING_KEY } from 'bloodbank/registry.js';

export async function id(_globals: GlobalOptions, type: string, pairs: string[]): Promise<void> {
  if (!ROUTING_KEY.test(type))
    throw new CliError(
      `${JSON.stringify(type)} is not a routing key (2 to 6 lowercase dot-separated tokens)`,
      EXIT.usage,
    );
  const fields = parseFields(pairs, 'bb id');
  out(deterministicId(type, fields));
}
