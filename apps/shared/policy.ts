/** Reads `policy.yaml` and validates it (runtime/policy.ts) against the registry's routing keys. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { PolicyError, validatePolicy, type Policy } from 'bloodbank/policy.js';

export {
  isPolicyError,
  PolicyError,
  validatePolicy,
  type Policy,
  type PolicyIssue,
  type ServicePolicy,
} from 'bloodbank/policy.js';

/** Reads and validates a policy file. */
export function loadPolicy(file: string, routingKeys: readonly string[]): Policy {
  let document: unknown;
  try {
    document = parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new PolicyError(file, [{ pointer: '', message: `cannot read: ${(cause as Error).message}` }]);
  }
  return validatePolicy(document, routingKeys, file);
}
