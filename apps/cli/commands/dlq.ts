/**
 * `bb dlq list|peek|redrive|purge [target]`: the runtime's dead-letter API. A target is a service name
 * (queues `${EXCHANGE_NAME}.<service>.q…`), a command key (the command processor's queue
 * `${EXCHANGE_NAME}.commands.<key>`), or a queue name (its `.dlq` suffix optional).
 */
import type { DlqAdmin, DlqTarget, ServiceQueueInfo } from 'bloodbank/amqp/dlq.js';
import type { BloodbankConfig } from 'bloodbank/config.js';
import type { AppRegistry } from '../../shared/registry.js';
import { getConfig, getRegistry, openConnection, type GlobalOptions } from '../support/context.js';
import { CliError, EXIT } from '../support/errors.js';
import { info, out, printJson, table, truncate } from '../support/output.js';

export function resolveTarget(
  target: string,
  exchange: string,
  registry: AppRegistry,
): { target: DlqTarget; label: string } {
  if (target.startsWith(`${exchange}.`)) {
    const queue = target.endsWith('.dlq') ? target.slice(0, -'.dlq'.length) : target;
    return { target: { queue }, label: queue };
  }
  if (registry.get(target)?.kind === 'command') {
    const queue = `${exchange}.commands.${target}`;
    return { target: { queue }, label: queue };
  }
  if (!/^[A-Za-z0-9_.:-]+$/.test(target))
    throw new CliError(`${JSON.stringify(target)} is not a service, command or queue name`, EXIT.usage);
  return { target, label: `${exchange}.${target}.q` };
}

async function withAdmin<T>(
  globals: GlobalOptions,
  fn: (admin: DlqAdmin, config: BloodbankConfig, registry: AppRegistry) => Promise<T>,
): Promise<T> {
  const [config, registry] = await Promise.all([getConfig(), getRegistry(globals)]);
  const connection = await openConnection(config, 'dlq');
  try {
    const { createDlqAdmin } = await import('bloodbank/amqp/dlq.js');
    const admin = createDlqAdmin({ connection, exchange: config.exchangeName });
    return await fn(admin, config, registry);
  } catch (error) {
    const message = (error as Error).message;
    if (/queue .* does not exist/.test(message))
      throw new CliError(`${message}: check the name with \`bb dlq list\``, EXIT.notFound, { cause: error });
    throw error;
  } finally {
    await connection.close();
  }
}

/**
 * The main queues of the exchange that have a dead-letter queue (`<main>.dlq`), sorted, found through the
 * management API (AMQP cannot list queues); or why the API could not list them.
 */
export async function queuesWithDeadLetters(
  config: BloodbankConfig,
): Promise<{ readonly queues: string[] } | { readonly error: Error }> {
  const { listQueues, managementApi } = await import('bloodbank/amqp/management.js');
  const { isManagementApiError } = await import('bloodbank/errors/management-api-error.js');
  try {
    const names = (await listQueues(managementApi(config.rabbitUrl, config.managementUrl))).map(
      (q) => q.name,
    );
    const queues = names
      .filter((name) => name.startsWith(`${config.exchangeName}.`) && name.endsWith('.dlq'))
      .map((name) => name.slice(0, -'.dlq'.length))
      .sort();
    return { queues };
  } catch (error) {
    if (!isManagementApiError(error)) throw error;
    return { error };
  }
}

/** `${exchange}.<service>.q` → `<service>`; any other queue name stays as it is. */
export function serviceOf(queue: string, exchange: string): string {
  const match =
    queue.startsWith(`${exchange}.`) && queue.endsWith('.q') ? queue.slice(exchange.length + 1, -2) : '';
  return match !== '' && !match.includes('.') ? match : queue;
}

/**
 * The registry's command queues plus every queue with dead letters the management API finds. Without
 * the API: the command queues, and a line on stderr that says why and how to see a service's queues.
 */
async function everyTarget(
  config: BloodbankConfig,
  registry: AppRegistry,
): Promise<Array<{ target: DlqTarget; label: string }>> {
  const targets = registry.listCommands().map((c) => resolveTarget(c.key, config.exchangeName, registry));
  const found = await queuesWithDeadLetters(config);
  if ('error' in found) {
    info(
      `${found.error.message}; listing the registry's command queues only (name a service to see its queues, or set BLOODBANK_MANAGEMENT_URL)`,
    );
    return targets;
  }
  const known = new Set(targets.map((t) => t.label));
  const more = found.queues.filter((queue) => !known.has(queue));
  return [...targets, ...more.map((queue) => ({ target: { queue }, label: queue }))];
}

export async function dlqList(
  globals: GlobalOptions,
  service: string | undefined,
  options: { json?: boolean },
): Promise<number> {
  return withAdmin(globals, async (admin, config, registry) => {
    const targets = service
      ? [resolveTarget(service, config.exchangeName, registry)]
      : await everyTarget(config, registry);
    const queues: ServiceQueueInfo[] = [];
    for (const t of targets) queues.push(...(await admin.list(t.target)));
    if (options.json) printJson(queues);
    else if (queues.length === 0)
      out(`no queues found for ${targets.map((t) => t.label).join(', ') || 'the registry’s commands'}`);
    else {
      const rows = queues.map((q) => [
        q.queue,
        q.role,
        String(q.messageCount),
        `${q.consumerCount} consumers`,
      ]);
      for (const line of table([['QUEUE', 'ROLE', 'MESSAGES', 'CONSUMERS'], ...rows])) out(line);
    }
    if (service && queues.length === 0) return EXIT.notFound;
    return EXIT.ok;
  });
}

export async function dlqPeek(
  globals: GlobalOptions,
  service: string,
  options: { count: number; json?: boolean },
): Promise<void> {
  await withAdmin(globals, async (admin, config, registry) => {
    const { target, label } = resolveTarget(service, config.exchangeName, registry);
    const records = await admin.peek(target, options.count);
    if (options.json) {
      printJson(records);
      return;
    }
    if (records.length === 0) out(`${label}.dlq is empty`);
    for (const r of records) {
      out(
        `${r.eventId ?? '-'}  ${r.eventType ?? r.routingKey}  ${r.reason ?? '-'}  attempts ${r.attempts ?? '-'}  ${r.lastFailureAt ?? ''}`,
      );
      if (r.error) out(`    error: ${truncate(r.error, 200)}`);
      out(`    payload: ${truncate(JSON.stringify(r.envelope?.payload ?? r.body), 200)}`);
    }
  });
}

export async function dlqRedrive(
  globals: GlobalOptions,
  service: string,
  options: { limit?: number; json?: boolean },
): Promise<void> {
  await withAdmin(globals, async (admin, config, registry) => {
    const { target } = resolveTarget(service, config.exchangeName, registry);
    const result = await admin.redrive(target, options.limit === undefined ? {} : { limit: options.limit });
    if (options.json) printJson(result);
    else
      out(
        `redrove ${result.redriven} message${result.redriven === 1 ? '' : 's'} from ${result.from} to ${result.to}`,
      );
  });
}

export async function dlqPurge(
  globals: GlobalOptions,
  service: string,
  options: { yes?: boolean; json?: boolean },
): Promise<void> {
  if (!options.yes)
    throw new CliError(
      'purging deletes dead letters for good: pass --yes to confirm (peek first with `bb dlq peek`)',
      EXIT.usage,
    );
  await withAdmin(globals, async (admin, config, registry) => {
    const { target, label } = resolveTarget(service, config.exchangeName, registry);
    const purged = await admin.purge(target);
    if (options.json) printJson({ queue: `${label}.dlq`, purged });
    else out(`purged ${purged} message${purged === 1 ? '' : 's'} from ${label}.dlq`);
    if (purged > 0) info('they cannot be redriven any more');
  });
}
