/**
 * `bb broker definitions` and `bb broker apply`: least-privilege broker users from the policy beside the
 * contract (policy.yaml). `definitions` prints the RabbitMQ definitions document; `apply` shows the plan
 * and imports it (management API when it answers, else rabbitmqctl; `--dry-run` only shows the plan).
 *
 * Passwords come from a file of `service=password` lines (`--passwords` or `BLOODBANK_BROKER_PASSWORDS`),
 * kept outside the repository; `--generate-passwords` adds random ones for services without one (the
 * file is created with mode 600). The document carries only salted hashes.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BloodbankConfig } from 'bloodbank/config.js';
import type { RabbitDefinitions } from '../../shared/broker-definitions.js';
import { getConfig, getRegistry, type GlobalOptions } from '../support/context.js';
import { CliError, EXIT } from '../support/errors.js';
import { info, out } from '../support/output.js';

export interface DefinitionsOptions {
  readonly policy?: string;
  readonly passwords?: string;
  readonly generatePasswords?: boolean;
  readonly vhost?: string;
}

export interface ApplyOptions extends DefinitionsOptions {
  readonly dryRun?: boolean;
  readonly rabbitmqctl?: string;
  readonly node?: string;
  /** Skip the management API and use rabbitmqctl. */
  readonly ctl?: boolean;
}

/** `./policy.yaml` when there is one, else the catalogue's own (beside this package's asyncapi.yaml). */
function defaultPolicy(): string {
  const local = resolve('policy.yaml');
  if (existsSync(local)) return local;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    if (existsSync(join(dir, 'policy.yaml')) && existsSync(join(dir, 'asyncapi.yaml')))
      return join(dir, 'policy.yaml');
    dir = dirname(dir);
  }
  return local;
}

async function passwordsFor(
  file: string | undefined,
  services: readonly string[],
  generate: boolean,
): Promise<Map<string, string>> {
  const { parsePasswords } = await import('../../shared/broker-definitions.js');
  if (!file)
    throw new CliError(
      'name the passwords file: --passwords <file> or BLOODBANK_BROKER_PASSWORDS (lines service=password; ' +
        'add --generate-passwords to create them)',
      EXIT.usage,
    );
  const passwords = existsSync(file) ? parsePasswords(await readFile(file, 'utf8'), file) : new Map();
  const missing = services.filter((s) => !passwords.has(s));
  if (missing.length > 0 && generate) {
    const lines = missing.map((s) => {
      const password = randomBytes(24).toString('base64url');
      passwords.set(s, password);
      return `${s}=${password}\n`;
    });
    if (existsSync(file)) await appendFile(file, lines.join(''));
    else
      await writeFile(
        file,
        `# broker passwords (bb broker definitions); keep out of the repository\n${lines.join('')}`,
        { mode: 0o600 },
      );
    info(`generated passwords for ${missing.join(', ')} in ${file}`);
  }
  return passwords;
}

function vhostOf(config: BloodbankConfig, given: string | undefined): string {
  if (given) return given;
  const url = new URL(config.rabbitUrl.split(',')[0]!.trim());
  return url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : '/';
}

async function build(
  globals: GlobalOptions,
  options: DefinitionsOptions,
): Promise<{ definitions: RabbitDefinitions; passwords: Map<string, string>; config: BloodbankConfig }> {
  const [config, registry] = await Promise.all([getConfig(), getRegistry(globals)]);
  const { loadPolicy, isPolicyError } = await import('../../shared/policy.js');
  const { brokerDefinitions, MissingPasswordError } = await import('../../shared/broker-definitions.js');
  const keys = registry.list().map((d) => d.key);
  let policy;
  try {
    policy = loadPolicy(options.policy ?? defaultPolicy(), keys);
  } catch (error) {
    if (isPolicyError(error)) throw new CliError(error.message, EXIT.invalid, { cause: error });
    throw error;
  }
  const passwords = await passwordsFor(
    options.passwords ?? config.brokerPasswords,
    policy.services.map((s) => s.name),
    options.generatePasswords === true,
  );
  try {
    const definitions = brokerDefinitions(policy, {
      exchange: config.exchangeName,
      vhost: vhostOf(config, options.vhost),
      passwords,
    });
    return { definitions, passwords, config };
  } catch (error) {
    if (error instanceof MissingPasswordError)
      throw new CliError(`${error.message} (or run with --generate-passwords)`, EXIT.usage, { cause: error });
    throw error;
  }
}

export async function definitions(globals: GlobalOptions, options: DefinitionsOptions): Promise<void> {
  const { definitions: doc } = await build(globals, options);
  out(JSON.stringify(doc, null, 2));
}

export async function apply(globals: GlobalOptions, options: ApplyOptions): Promise<number> {
  const { definitions: doc, passwords, config } = await build(globals, options);
  const { managementTarget, rabbitmqctlTarget, planDefinitions } =
    await import('../../shared/broker-apply.js');
  const { rabbitPasswordHash } = await import('../../shared/broker-definitions.js');
  const ctl = rabbitmqctlTarget({
    ...(options.rabbitmqctl ? { command: options.rabbitmqctl } : {}),
    ...(options.node ? { node: options.node } : {}),
  });
  let target = ctl;
  let current: Partial<RabbitDefinitions>;
  const { managementApi } = await import('bloodbank/amqp/management.js');
  const management = options.ctl
    ? null
    : managementTarget(managementApi(config.rabbitUrl, config.managementUrl));
  try {
    if (!management) throw new Error('--ctl');
    current = await management.export();
    target = management;
  } catch (error) {
    if (management) info(`${(error as Error).message}; using rabbitmqctl`);
    try {
      current = await ctl.export();
    } catch (ctlError) {
      throw new CliError((ctlError as Error).message, EXIT.unavailable, { cause: ctlError });
    }
  }
  const samePassword = (hash: string, service: string) => {
    const salt = Buffer.from(hash, 'base64').subarray(0, 4);
    return salt.length === 4 && rabbitPasswordHash(passwords.get(service) ?? '', salt) === hash;
  };
  const plan = planDefinitions(doc, current, samePassword);
  out(`plan for ${target.describe}:`);
  for (const line of plan.length > 0 ? plan : ['(nothing to change)']) out(`  ${line}`);
  if (plan.some((l) => l.startsWith('!'))) return EXIT.failure;
  if (options.dryRun || plan.length === 0) return EXIT.ok;
  try {
    await target.import(doc);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.unavailable, { cause: error });
  }
  out(`applied ${plan.length} change${plan.length === 1 ? '' : 's'}`);
  return EXIT.ok;
}
