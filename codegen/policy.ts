/**
 * The per-service policy beside the document (`policy.yaml` next to `asyncapi.yaml`, runtime/policy.ts):
 * when it is there, codegen validates it against the document's routing keys, so `npm run codegen` and
 * `--check` refuse a policy with a mistake (named by its JSON pointer) before `bb broker` ever reads it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parse } from 'yaml';
import { CodegenError } from 'bloodbank/errors/codegen-error.js';
import { isPolicyError, validatePolicy } from 'bloodbank/policy.js';

export const POLICY_FILE = 'policy.yaml';

/** The policy file beside `input`, or null when there is none. */
export function policyFileOf(input: string): string | null {
  const file = join(dirname(input), POLICY_FILE);
  return existsSync(file) ? file : null;
}

/** Throws a CodegenError at the first mistake (every one listed in the message). */
export function checkPolicy(file: string, routingKeys: readonly string[]): void {
  const display = relative(process.cwd(), file) || POLICY_FILE;
  let document: unknown;
  try {
    document = parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new CodegenError(display, '', `cannot read the policy: ${(cause as Error).message}`, { cause });
  }
  try {
    validatePolicy(document, routingKeys, display);
  } catch (error) {
    if (!isPolicyError(error)) throw error;
    const [first] = error.issues;
    const rest = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more: ${error.message})` : '';
    throw new CodegenError(display, first?.pointer ?? '', `${first?.message ?? 'invalid policy'}${rest}`, {
      cause: error,
    });
  }
}
