/** Module hooks (off-thread, see record-loads.mjs): append each loaded module's URL to a file, one a line. */
import { appendFileSync } from 'node:fs';

let out = '';

export function initialize(data) {
  out = data.out;
}

export async function load(url, context, nextLoad) {
  // Written before the module runs, synchronously: the list is complete when the process exits.
  appendFileSync(out, `${url}\n`);
  return nextLoad(url, context);
}
