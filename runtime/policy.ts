/**
 * Who may publish and consume what: the per-service policy kept beside the contract (`policy.yaml` next to
 * `asyncapi.yaml`), from which `bb broker definitions` builds the broker's users and permissions.
 *
 * ```yaml
 * services:
 *   command-processor:
 *     description: runs agent.thread.prompt
 *     publish: [agent.thread.response, agent.thread.error, 'llm.*']
 *     consume: [agent.thread.prompt]
 *     queues: ['{exchange}.commands.']
 * ```
 * `publish` and `consume` are AMQP topic patterns over routing keys; `queues` are the queue names the
 * service declares (`{exchange}` is replaced by the exchange; a name ending in `.` or `-` is a prefix,
 * any other also covers its `.retry.<ms>` and `.dlq` queues). Without `queues`, a service that consumes
 * owns `{exchange}.<service>.q` (the runtime's `queueNames()`).
 *
 * Validation names each mistake by its JSON pointer: an unknown field, a malformed pattern, a pattern that
 * matches no channel of the registry (a typo would otherwise grant nothing, silently). Codegen runs it on
 * the policy beside the document it reads (so `npm run codegen` and `--check` refuse a broken policy);
 * `bb broker` runs it before building definitions (apps/shared/policy.ts reads the file).
 */
import { assertTopicPattern, topicMatches } from './delivery/topic.js';

export interface ServicePolicy {
  readonly name: string;
  readonly description: string | undefined;
  readonly publish: readonly string[];
  readonly consume: readonly string[];
  /** Queue names or prefixes, `{exchange}` not yet replaced. */
  readonly queues: readonly string[];
}

export interface Policy {
  readonly services: readonly ServicePolicy[];
}

export interface PolicyIssue {
  /** JSON pointer into the policy document. */
  readonly pointer: string;
  readonly message: string;
}

export class PolicyError extends Error {
  override name = 'PolicyError' as const;
  constructor(
    readonly file: string,
    readonly issues: readonly PolicyIssue[],
  ) {
    super(`invalid policy ${file}:\n${issues.map((i) => `  ${i.pointer || '/'}: ${i.message}`).join('\n')}`);
  }
}

export function isPolicyError(error: unknown): error is PolicyError {
  return error instanceof PolicyError;
}

const SERVICE_NAME = /^[a-z][a-z0-9_-]*$/;
const SERVICE_FIELDS = new Set(['description', 'publish', 'consume', 'queues']);
const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Validates a parsed policy against the routing keys of the registry. Throws `PolicyError` listing every
 * issue with its JSON pointer.
 */
export function validatePolicy(
  document: unknown,
  routingKeys: readonly string[],
  file = 'policy.yaml',
): Policy {
  const issues: PolicyIssue[] = [];
  const services: ServicePolicy[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(document)) throw new PolicyError(file, [{ pointer: '', message: 'must be a mapping' }]);
  for (const key of Object.keys(document))
    if (key !== 'services')
      issues.push({ pointer: `/${escapePointer(key)}`, message: 'unknown field (allowed: services)' });
  const raw = document['services'];
  if (!isObject(raw)) issues.push({ pointer: '/services', message: 'must be a mapping of service names' });
  else
    for (const [name, spec] of Object.entries(raw)) {
      const at = `/services/${escapePointer(name)}`;
      if (!SERVICE_NAME.test(name))
        issues.push({ pointer: at, message: `service name must match ${SERVICE_NAME.source}` });
      if (!isObject(spec)) {
        issues.push({ pointer: at, message: 'must be a mapping (publish, consume, queues, description)' });
        continue;
      }
      for (const key of Object.keys(spec))
        if (!SERVICE_FIELDS.has(key))
          issues.push({
            pointer: `${at}/${escapePointer(key)}`,
            message: `unknown field (allowed: ${[...SERVICE_FIELDS].join(', ')})`,
          });
      const list = (field: 'publish' | 'consume' | 'queues'): string[] => {
        const value = spec[field];
        if (value === undefined) return [];
        if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
          issues.push({ pointer: `${at}/${field}`, message: 'must be a list of non-empty strings' });
          return [];
        }
        return value as string[];
      };
      const patterns = (field: 'publish' | 'consume'): string[] => {
        const values = list(field);
        values.forEach((pattern, i) => {
          const pointer = `${at}/${field}/${i}`;
          try {
            assertTopicPattern(pattern);
          } catch {
            issues.push({
              pointer,
              message: `${JSON.stringify(pattern)} is not a topic pattern (words separated by '.', '*' one word, '#' zero or more)`,
            });
            return;
          }
          if (!routingKeys.some((k) => topicMatches(pattern, k)))
            issues.push({
              pointer,
              message: `${JSON.stringify(pattern)} matches no channel of the contract${hint(pattern, routingKeys)}`,
            });
        });
        return values;
      };
      const description = spec['description'];
      if (description !== undefined && typeof description !== 'string')
        issues.push({ pointer: `${at}/description`, message: 'must be a string' });
      const queues = list('queues');
      queues.forEach((q, i) => {
        if (!/^[A-Za-z0-9_.:{}-]+$/.test(q))
          issues.push({
            pointer: `${at}/queues/${i}`,
            message: 'a queue name of A-Z a-z 0-9 _ . : - and {exchange}',
          });
      });
      services.push({
        name,
        description: typeof description === 'string' ? description : undefined,
        publish: patterns('publish'),
        consume: patterns('consume'),
        queues,
      });
    }
  const [first, ...rest] = issues;
  if (first) throw new PolicyError(file, [first, ...rest]);
  return { services };
}

/** `, did you mean …?` with the routing key closest to a literal pattern, or nothing. */
function hint(pattern: string, keys: readonly string[]): string {
  if (pattern.includes('*') || pattern.includes('#')) return '';
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const key of keys) {
    const d = distance(pattern, key);
    if (d < bestDistance) [best, bestDistance] = [key, d];
  }
  return best !== undefined && bestDistance <= 3 ? ` (did you mean ${best}?)` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
