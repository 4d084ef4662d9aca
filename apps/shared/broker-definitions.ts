/**
 * RabbitMQ definitions (the document `rabbitmqctl import_definitions` and `load_definitions` read) built
 * from the policy (policy.ts): one user per service, its vhost permissions and its topic permissions.
 *
 * Per service, with E the events exchange and Q its own queues:
 * - configure: Q only (declaring its queues; the exchange is declared by these definitions, so no service
 *   may redeclare or delete it);
 * - write: E (publishing), Q (binding them); consumers also `amq.default` (retries go to their retry
 *   queues and command replies to direct reply-to through the default exchange);
 * - read: E (binding to it), Q (consuming);
 * - topic permissions on E: write = the `publish` patterns, read = the `consume` patterns, as anchored
 *   regexes (RabbitMQ matches the write regex against a published routing key and the read regex against
 *   a binding key, so `*` stands for one word other than `#`, and `#` for any number of words).
 *
 * Passwords never appear: the document carries `password_hash` (RabbitMQ's salted SHA-256), computed from
 * the secret source the caller reads.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Policy, ServicePolicy } from './policy.js';

export interface DefinitionsOptions {
  readonly exchange: string;
  readonly vhost: string;
  /** The password of each service (a missing one is an error naming it). */
  readonly passwords: ReadonlyMap<string, string>;
  /** Salt for the password hashes (tests); random by default. */
  readonly salt?: () => Buffer;
}

export interface RabbitDefinitions {
  users: Array<{ name: string; password_hash: string; hashing_algorithm: string; tags: string[] }>;
  vhosts: Array<{ name: string }>;
  permissions: Array<{ user: string; vhost: string; configure: string; write: string; read: string }>;
  topic_permissions: Array<{ user: string; vhost: string; exchange: string; write: string; read: string }>;
  exchanges: Array<{
    name: string;
    vhost: string;
    type: string;
    durable: boolean;
    auto_delete: boolean;
    internal: boolean;
    arguments: Record<string, never>;
  }>;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Matches nothing: a user without a right gets this regex rather than an empty one (which means "all"). */
export const NOTHING = '^$';

/**
 * The anchored regex RabbitMQ should match against a routing key (or a binding key) for one topic
 * pattern: literal words escaped, `*` one word other than `#`, `#` zero or more words.
 */
export function topicPatternRegex(pattern: string): string {
  const tokens: string[] = [];
  for (const t of pattern.split('.')) if (!(t === '#' && tokens[tokens.length - 1] === '#')) tokens.push(t);
  if (tokens.length === 1 && tokens[0] === '#') return '^.*$';
  const word = (t: string) => (t === '*' ? '[^.#]+' : escapeRegex(t));
  let out = '';
  tokens.forEach((t, i) => {
    if (t === '#') out += i === 0 ? '(?:[^.]+\\.)*' : '(?:\\.[^.]+)*';
    else out += (i === 0 || (tokens[i - 1] === '#' && i === 1) ? '' : '\\.') + word(t);
  });
  return `^${out}$`;
}

/** One anchored regex for a list of patterns (`^$` when the list is empty). */
export function topicPatternsRegex(patterns: readonly string[]): string {
  if (patterns.length === 0) return NOTHING;
  if (patterns.length === 1) return topicPatternRegex(patterns[0]!);
  return `^(?:${patterns.map((p) => topicPatternRegex(p).slice(1, -1)).join('|')})$`;
}

/** The queue names a service owns, `{exchange}` replaced (default: its `queueNames()` main queue). */
export function serviceQueues(service: ServicePolicy, exchange: string): string[] {
  const queues =
    service.queues.length > 0
      ? service.queues
      : service.consume.length > 0
        ? [`{exchange}.${service.name}.q`]
        : [];
  return queues.map((q) => q.replaceAll('{exchange}', exchange));
}

/** Regex alternatives for queue names: a prefix (ending in `.` or `-`), else a name and its sub-queues. */
function queueAlternatives(queues: readonly string[]): string[] {
  return queues.map((q) => (/[.-]$/.test(q) ? `${escapeRegex(q)}.*` : `${escapeRegex(q)}(?:\\..*)?`));
}

const anyOf = (alternatives: readonly string[]) =>
  alternatives.length === 0 ? NOTHING : `^(?:${alternatives.join('|')})$`;

/** RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt ‖ sha256(salt ‖ utf8 password)), 4-byte salt. */
export function rabbitPasswordHash(password: string, salt: Buffer = randomBytes(4)): string {
  const digest = createHash('sha256')
    .update(Buffer.concat([salt, Buffer.from(password, 'utf8')]))
    .digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

export class MissingPasswordError extends Error {
  override name = 'MissingPasswordError' as const;
  constructor(readonly services: readonly string[]) {
    super(`no password for ${services.join(', ')}: add a line <service>=<password> to the passwords file`);
  }
}

export function brokerDefinitions(policy: Policy, options: DefinitionsOptions): RabbitDefinitions {
  const missing = policy.services.filter((s) => !options.passwords.has(s.name)).map((s) => s.name);
  if (missing.length > 0) throw new MissingPasswordError(missing);
  const { exchange, vhost } = options;
  const definitions: RabbitDefinitions = {
    users: [],
    vhosts: [{ name: vhost }],
    permissions: [],
    topic_permissions: [],
    exchanges: [
      {
        name: exchange,
        vhost,
        type: 'topic',
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: {},
      },
    ],
  };
  for (const service of [...policy.services].sort((a, b) => a.name.localeCompare(b.name))) {
    const queues = queueAlternatives(serviceQueues(service, exchange));
    const consumes = service.consume.length > 0;
    definitions.users.push({
      name: service.name,
      password_hash: rabbitPasswordHash(options.passwords.get(service.name) ?? '', options.salt?.()),
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      tags: [],
    });
    definitions.permissions.push({
      user: service.name,
      vhost,
      configure: anyOf(queues),
      write: anyOf([escapeRegex(exchange), ...queues, ...(consumes ? ['amq\\.default'] : [])]),
      read: anyOf(consumes ? [escapeRegex(exchange), ...queues] : []),
    });
    definitions.topic_permissions.push({
      user: service.name,
      vhost,
      exchange,
      write: topicPatternsRegex(service.publish),
      read: topicPatternsRegex(service.consume),
    });
  }
  return definitions;
}

/** Reads `service=password` lines (blank lines and `#` comments ignored). */
export function parsePasswords(text: string, file: string): Map<string, string> {
  const passwords = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const eq = trimmed.indexOf('=');
    if (eq <= 0 || eq === trimmed.length - 1)
      throw new Error(`${file} line ${index + 1}: expected <service>=<password>`);
    passwords.set(trimmed.slice(0, eq).trim(), trimmed.slice(eq + 1).trim());
  });
  return passwords;
}
