/**
 * `bb unbind <service> <pattern>`: remove a binding a service no longer subscribes to (an earlier
 * version's pattern left on its queue: its events are dead-lettered as `not-subscribed`). The queue is
 * resolved like `bb dlq` (service name, command key or queue name). When the management API answers,
 * the queue's bindings are read first: an unknown pattern exits 4 and lists the ones there are.
 */
import { getConfig, getRegistry, openConnection, type GlobalOptions } from '../support/context.js';
import { CliError, EXIT } from '../support/errors.js';
import { info, out, printJson } from '../support/output.js';
import { resolveTarget } from './dlq.js';

export async function unbind(
  globals: GlobalOptions,
  service: string,
  pattern: string,
  options: { json?: boolean },
): Promise<void> {
  const { assertTopicPattern } = await import('bloodbank/delivery/topic.js');
  try {
    assertTopicPattern(pattern);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage, { cause: error });
  }
  const [config, registry] = await Promise.all([getConfig(), getRegistry(globals)]);
  const exchange = config.exchangeName;
  const { label: queue } = resolveTarget(service, exchange, registry);

  const { listBindings, managementApi } = await import('bloodbank/amqp/management.js');
  const { isManagementApiError } = await import('bloodbank/errors/management-api-error.js');
  const connection = await openConnection(config, 'unbind');
  try {
    const check = await connection.createChannel();
    check.on('error', () => {});
    try {
      await check.checkQueue(queue);
    } catch (error) {
      throw new CliError(
        `queue ${queue} does not exist: check the name with \`bb dlq list\``,
        EXIT.notFound,
        {
          cause: error,
        },
      );
    } finally {
      await check.close().catch(() => {});
    }

    let before: string[] | null = null;
    try {
      before = await listBindings(managementApi(config.rabbitUrl, config.managementUrl), exchange, queue);
    } catch (error) {
      if (!isManagementApiError(error)) throw error;
      info(
        `${error.message}; unbinding without checking (RabbitMQ does not say whether the binding existed)`,
      );
    }
    if (before && !before.includes(pattern))
      throw new CliError(
        `${queue} has no binding ${pattern} from ${exchange}; its bindings: ${before.join(', ') || '(none)'}`,
        EXIT.notFound,
      );

    const ch = await connection.createChannel();
    try {
      await ch.unbindQueue(queue, exchange, pattern);
    } finally {
      await ch.close().catch(() => {});
    }
    const remaining = before?.filter((p) => p !== pattern) ?? null;
    if (options.json) printJson({ queue, exchange, pattern, removed: before ? true : null, remaining });
    else
      out(
        `unbound ${pattern} from ${queue}${remaining ? `; its bindings now: ${remaining.join(', ') || '(none)'}` : ''}`,
      );
  } finally {
    await connection.close();
  }
}
